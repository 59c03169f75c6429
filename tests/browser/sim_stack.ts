/**
 * A real stack for browser tests: Mosquitto, a hub and an agent running the
 * three simulators, as separate processes on loopback ports.
 *
 * @module
 */
import { join } from "node:path";
import { type Mosquitto, startMosquitto } from "../harness/mosquitto.ts";
import { type DenoProcess, startDenoProcess } from "../harness/process.ts";
import { waitFor } from "../harness/wait_for.ts";

/** Options of {@linkcode startStack}. */
export interface StackOptions {
  /** Extra TOML appended to the hub config (e.g. an `[auth]` table). */
  hubExtraToml?: string;
  /** Environment of the hub process. */
  hubEnv?: Record<string, string>;
  /** The agent's id. @default "dash-agent-1" */
  agentId?: string;
  /** Rows per second of each simulator. @default 100 */
  rate?: number;
  /** The hub's `stale_after_s`. @default the hub's default */
  staleAfterS?: number;
  /** Runs after the hub config is written and before the hub starts (e.g. to create tokens). */
  beforeHub?: (hubConfigPath: string) => Promise<void>;
}

/** A running stack; `stop()` ends the agent, the hub and the broker, and removes the temp dir. */
export interface Stack extends AsyncDisposable {
  readonly dir: string;
  readonly broker: Mosquitto;
  readonly hub: DenoProcess;
  readonly agent: DenoProcess;
  readonly hubUrl: string;
  readonly agentId: string;
  stop(): Promise<void>;
}

/** Starts the stack and waits for the hub to answer `/healthz`. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = await Deno.makeTempDir({ prefix: "tributary-browser-" });
  const agentId = options.agentId ?? "dash-agent-1";
  const rate = options.rate ?? 100;
  const started: { stop(): Promise<unknown> }[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const broker = await startMosquitto();
    started.push(broker);
    const hubConfig = join(dir, "hub.toml");
    await Deno.writeTextFile(
      hubConfig,
      `[hub]\ndata_dir = ${JSON.stringify(join(dir, "hub"))}\nlog_level = "warn"\n` +
        (options.staleAfterS === undefined ? "" : `stale_after_s = ${options.staleAfterS}\n`) +
        `[http]\nlisten = "127.0.0.1:0"\n[mqtt]\nurl = ${JSON.stringify(broker.url)}\n` +
        (options.hubExtraToml ?? ""),
    );
    await options.beforeHub?.(hubConfig);
    const hub = await startDenoProcess({
      name: "hub",
      script: "hub/main.ts",
      args: ["run", "--config", hubConfig],
      env: options.hubEnv,
    });
    started.push({ stop: () => hub.stop("SIGINT", 15_000) });
    const agentConfig = join(dir, "agent.toml");
    await Deno.writeTextFile(
      agentConfig,
      `[agent]\nid = ${JSON.stringify(agentId)}\ndata_dir = ${
        JSON.stringify(join(dir, "agent"))
      }\n` +
        `log_level = "warn"\nheartbeat_interval_s = 1\n` +
        `[http]\nlisten = "127.0.0.1:0"\n` +
        `[transport]\ntype = "mqtt"\n[transport.mqtt]\nurl = ${JSON.stringify(broker.url)}\n` +
        `[[inputs]]\ntype = "sim_sensors"\nseed = 21\nrate = ${rate}\n` +
        `[[inputs]]\ntype = "sim_logs"\nseed = 22\nrate = ${rate}\n` +
        `[[inputs]]\ntype = "sim_market"\nseed = 23\nrate = ${rate}\n`,
    );
    const agent = await startDenoProcess({
      name: "agent",
      script: "agent/main.ts",
      args: ["run", "--config", agentConfig],
    });
    started.push({ stop: () => agent.stop("SIGINT", 15_000) });
    const hubUrl = String(hub.ready.http);
    await waitFor(async () => {
      const response = await fetch(`${hubUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
      await response.body?.cancel();
      return response.ok;
    }, { timeoutMs: 20_000, message: "hub healthy" });
    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= stopAll());
    return { dir, broker, hub, agent, hubUrl, agentId, stop, [Symbol.asyncDispose]: stop };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
