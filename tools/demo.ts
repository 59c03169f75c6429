/**
 * `deno task demo`: the hub with its embedded MQTT broker and local data
 * folder, plus one agent fed by the sensor, log and market simulators.
 *
 * Both run as child processes, exactly as they would in production; this
 * script only writes their configs, waits for their ready lines, prints where
 * to look, and on Ctrl-C stops the agent first (so it drains) and then the hub.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { KINDS } from "@tributary/shared/records";
import { tableCounts } from "../tests/harness/hub_client.ts";
import { AGENT_V8_FLAGS } from "./compile.ts";

const HELP = `deno task demo [-- OPTIONS]

Starts a hub (embedded MQTT broker, data in <data-dir>/hub) and an agent with
simulated sensors, logs and market data (buffer in <data-dir>/agent).
Ctrl-C stops both cleanly.

Options:
  --data-dir DIR   where both keep their DuckDB files and logs (default .demo)
  --port N         hub HTTP port (default 8080; 0 picks a free one)
  --fresh          delete <data-dir> first
  --rate N         rows per second per simulated kind (default 200)
  --quiet          no periodic row counts
  -h, --help       this text
`;

interface DemoOptions {
  dataDir: string;
  port: number;
  fresh: boolean;
  rate: number;
  quiet: boolean;
}

function parseOptions(args: string[]): DemoOptions | undefined {
  const { values } = parseArgs({
    args,
    options: {
      "data-dir": { type: "string", default: ".demo" },
      port: { type: "string", default: "8080" },
      rate: { type: "string", default: "200" },
      fresh: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return undefined;
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port: got ${JSON.stringify(values.port)}, expected an integer 0..65535`);
  }
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new Error(`--rate: got ${JSON.stringify(values.rate)}, expected a number > 0`);
  }
  return {
    dataDir: resolve(values["data-dir"]),
    port,
    fresh: values.fresh,
    rate,
    quiet: values.quiet,
  };
}

/** A child Deno process that announced itself with a JSON ready line on stdout. */
interface ReadyChild {
  name: string;
  process: Deno.ChildProcess;
  ready: Record<string, string>;
  /** Resolves when stdout and stderr have been fully copied to the log file. */
  drained: Promise<void>;
}

const repoRoot = resolve(import.meta.dirname ?? ".", "..");

async function startChild(
  name: string,
  script: string,
  configPath: string,
  logPath: string,
  denoFlags: readonly string[] = [],
): Promise<ReadyChild> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...denoFlags, join(repoRoot, script), "run", "--config", configPath],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = await Deno.open(logPath, { create: true, append: true });
  const stderrDone = process.stderr.pipeTo(log.writable, { preventClose: true });
  const lines = process.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter());
  const reader = lines.getReader();
  let ready: Record<string, string> | undefined;
  const deadline = setTimeout(() => reader.cancel("timeout"), 60_000);
  try {
    while (!ready) {
      const { value, done } = await reader.read();
      if (done) break;
      ready = parseReadyLine(value);
    }
  } finally {
    clearTimeout(deadline);
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  const stdoutDone = (async () => {
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) return;
    }
  })();
  const drained = Promise.all([stderrDone, stdoutDone]).then(() => log.close());
  if (!ready) {
    const status = await process.status;
    await drained;
    throw new Error(`${name} exited (code ${status.code}) before it was ready; see ${logPath}`);
  }
  return { name, process, ready, drained };
}

function parseReadyLine(line: string): Record<string, string> | undefined {
  try {
    const value = JSON.parse(line);
    return value?.event === "ready" ? value : undefined;
  } catch {
    return undefined;
  }
}

function lineSplitter(): TransformStream<string, string> {
  let pending = "";
  return new TransformStream({
    transform(chunk, controller) {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const part of parts) controller.enqueue(part);
    },
    flush(controller) {
      if (pending) controller.enqueue(pending);
    },
  });
}

async function stopChild(child: ReadyChild, timeoutMs = 15_000): Promise<number> {
  try {
    child.process.kill("SIGINT");
  } catch {
    // Already exited.
  }
  const timer = setTimeout(() => {
    console.error(`${child.name} did not stop within ${timeoutMs} ms; killing it`);
    try {
      child.process.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }, timeoutMs);
  const status = await child.process.status;
  clearTimeout(timer);
  await child.drained;
  return status.code;
}

function hubConfig(options: DemoOptions): string {
  return `# Written by tools/demo.ts
[hub]
data_dir = ${JSON.stringify(join(options.dataDir, "hub"))}

[http]
listen = "127.0.0.1:${options.port}"

[mqtt]
url = ""  # empty: the hub runs its embedded broker

[broker]
listen = "127.0.0.1:0"
`;
}

function agentConfig(options: DemoOptions, mqttUrl: string): string {
  return `# Written by tools/demo.ts
[agent]
id = "demo-1"
data_dir = ${JSON.stringify(join(options.dataDir, "agent"))}

[http]
listen = "127.0.0.1:0"

[transport]
type = "mqtt"

[transport.mqtt]
url = ${JSON.stringify(mqttUrl)}

# A tick of 250 ms, not the simulators' 50: every tick is one buffer
# transaction per stream (a few ms of CPU each), so 50 ms ticks of four streams
# kept most of a core busy (docs/benchmarks.md, "A live agent (session 10)").
[[inputs]]
type = "sim_sensors"
rate = ${options.rate}
tick_ms = 250

[[inputs]]
type = "sim_logs"
rate = ${options.rate}
tick_ms = 250

[[inputs]]
type = "sim_market"
rate = ${options.rate}
tick_ms = 250
`;
}

async function main(): Promise<number> {
  let options: DemoOptions | undefined;
  try {
    // `deno task demo -- --port 0` passes the `--` through; accept both spellings.
    options = parseOptions(Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (!options) {
    console.log(HELP);
    return 0;
  }
  if (options.fresh) await Deno.remove(options.dataDir, { recursive: true }).catch(() => {});
  const logDir = join(options.dataDir, "logs");
  await Deno.mkdir(logDir, { recursive: true });

  const hubConfigPath = join(options.dataDir, "hub.toml");
  await Deno.writeTextFile(hubConfigPath, hubConfig(options));
  const hub = await startChild("hub", "hub/main.ts", hubConfigPath, join(logDir, "hub.log"));
  const hubUrl = hub.ready.http!;
  const mqttUrl = hub.ready.mqtt!;

  const agentConfigPath = join(options.dataDir, "agent.toml");
  await Deno.writeTextFile(agentConfigPath, agentConfig(options, mqttUrl));
  let agent: ReadyChild;
  try {
    // The V8 flags of the compiled agent: without them DuckDB's memory of
    // finished reads waits for V8's own collections (docs/benchmarks.md,
    // "A live agent (session 10)").
    agent = await startChild("agent", "agent/main.ts", agentConfigPath, join(logDir, "agent.log"), [
      AGENT_V8_FLAGS,
    ]);
  } catch (error) {
    await stopChild(hub);
    throw error;
  }

  console.log(`Tributary demo is running.
  dashboard        ${hubUrl}/
  hub HTTP API     ${hubUrl}   (try: curl ${hubUrl}/api/v1/agents)
                   open: no token needed, because it listens on localhost only
                   (a hub on any other address requires tokens; see docs/api.md)
  hub MQTT broker  ${mqttUrl}   (embedded; try: mosquitto_sub -V mqttv311 -p ${
    new URL(mqttUrl).port
  } -t 'tributary/v1/#' -v)
  agent status     ${agent.ready.http}/status
  query example    curl -s ${hubUrl}/api/v1/query -H 'content-type: application/json' \\
                     -d '{"sql":"SELECT symbol, count(*), avg(price) FROM trades GROUP BY symbol"}'
  logs             ${logDir}/hub.log, ${logDir}/agent.log
Press Ctrl-C to stop.`);

  const stopRequested = new Promise<string>((resolveStop) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolveStop(signal));
    }
  });
  const childExited = Promise.race([
    hub.process.status.then((s) => `hub exited with code ${s.code}`),
    agent.process.status.then((s) => `agent exited with code ${s.code}`),
  ]);
  const ticker = options.quiet ? undefined : setInterval(() => {
    tableCounts(hubUrl).then((counts) =>
      console.log(`rows at the hub: ${KINDS.map((k) => `${k}=${counts[k]}`).join(" ")}`)
    ).catch(
      () => {},
    );
  }, 5_000);

  const reason = await Promise.race([stopRequested, childExited]);
  if (ticker !== undefined) clearInterval(ticker);
  console.log(`stopping (${reason})...`);
  const agentCode = await stopChild(agent);
  const hubCode = await stopChild(hub);
  console.log(`stopped: agent exit ${agentCode}, hub exit ${hubCode}`);
  return agentCode === 0 && hubCode === 0 && reason.startsWith("SIG") ? 0 : 1;
}

if (import.meta.main) {
  main().then(
    (code) => Deno.exit(code),
    (error) => {
      console.error(`demo failed: ${error instanceof Error ? error.message : error}`);
      Deno.exit(1);
    },
  );
}
