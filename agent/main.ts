/**
 * The agent CLI.
 *
 * ```
 * deno run -A agent/main.ts run --config agent.toml
 * deno run -A agent/main.ts status --config agent.toml [--json]
 * deno run -A agent/main.ts query --config agent.toml [--json] "SELECT ..."
 * deno run -A agent/main.ts verify --config agent.toml
 * deno run -A agent/main.ts --help
 * ```
 *
 * Exit codes: 0 done (or stopped by SIGINT/SIGTERM), 1 runtime failure (also
 * when DuckDB invalidated the buffer while running, so that a service manager
 * restarts the agent; for `verify`, problems found), 2 bad usage or config
 * (and, for `query`, SQL refused). Only this file exits the process.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ConfigError } from "@tributary/shared/errors";
import { QueryRefused } from "@tributary/shared/sql/read_only_query";
import { VERSION } from "@tributary/shared/version";
import { startAgent } from "./agent.ts";
import { loadConfig } from "./config.ts";
import { formatQueryTable, queryBuffer } from "./query.ts";
import { formatStatusTable, readStatus } from "./status.ts";
import { formatVerifyReport, verifyAgentBuffer } from "./verify.ts";

/** The text of `--help`. */
export const HELP =
  `Tributary agent ${VERSION}: collects records, buffers them in DuckDB, ships them to the hub.

Usage:
  agent run --config FILE            run the agent until SIGINT or SIGTERM
  agent status --config FILE [--json]
                                     backlog per stream: asks the running agent
                                     (GET /status at [http] listen), or reads the
                                     buffer file read-only when none runs
  agent query --config FILE [--json] "SELECT ..."
                                     read-only SQL on the buffer (one SELECT):
                                     asks the running agent (POST /query at
                                     [http] listen), or opens the buffer file
                                     read-only when none runs; prints a table
  agent verify --config FILE         checks the buffer file without changing it
                                     (schema, segments, seqs, pending batches,
                                     NULLs, JSON, every block readable); refuses
                                     while the agent runs. Exit 0 clean, 1
                                     problems found
  agent --help                       this text

Options:
  -c, --config FILE   TOML config file (required by every command)
      --json          status, query: print JSON instead of a table
  -h, --help          show this text

On start, run prints one line to stdout:
  {"event":"ready","http":"http://127.0.0.1:PORT"}
Logs are JSON lines on stderr. TRIBUTARY_MQTT_PASSWORD overrides
[transport.mqtt] password.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or config.
Every config option and its default: docs/agent.md (example: agent/agent.example.toml).
`;

/** Where the CLI writes and which signals stop it; tests substitute these. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Resolves when the process should stop (SIGINT or SIGTERM). */
  waitForStop(): Promise<void>;
}

/** Runs the CLI with `args`; resolves with the exit code. */
export async function main(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const [command, ...extra] = positionals;
  const known = ["run", "status", "query", "verify"];
  const arity = command === "query" ? 1 : 0;
  if (command === "query" && extra.length !== 1) {
    io.stderr(`query: expected one SQL argument, got ${extra.length}\n\n${HELP}`);
    return 2;
  }
  if (command === undefined || !known.includes(command) || extra.length !== arity) {
    io.stderr(
      `${
        command === undefined ? "missing command" : `unknown command: ${positionals.join(" ")}`
      }\n\n${HELP}`,
    );
    return 2;
  }
  if (values.config === undefined) {
    io.stderr(`${command}: --config FILE is required\n`);
    return 2;
  }
  try {
    const config = await loadConfig(values.config, io.env);
    if (command === "query") {
      const { result } = await queryBuffer(config, extra[0]!);
      io.stdout(values.json ? `${JSON.stringify(result)}\n` : `${formatQueryTable(result)}\n`);
      return 0;
    }
    if (command === "verify") {
      const report = await verifyAgentBuffer(config);
      io.stdout(`${formatVerifyReport(report)}\n`);
      return report.problems.length === 0 ? 0 : 1;
    }
    if (command === "status") {
      const { status, source } = await readStatus(config);
      io.stdout(
        values.json ? `${JSON.stringify(status)}\n` : `${formatStatusTable(status, source)}\n`,
      );
      return 0;
    }
    const agent = await startAgent(config);
    io.stdout(`${JSON.stringify({ event: "ready", http: agent.httpUrl })}\n`);
    const failure = await Promise.race([io.waitForStop().then(() => undefined), agent.failed]);
    await agent.stop();
    if (failure !== undefined) {
      io.stderr(`error: ${failure}\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`config error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof QueryRefused) {
      io.stderr(`query refused: ${error.message}\n`);
      return 2;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/**
 * Resolves on the first SIGINT or SIGTERM. The listeners stay until the
 * process exits: Ctrl-C under `deno task` reaches the agent twice (the
 * group's SIGINT and the parent's forwarded one), and without a listener the
 * second would kill it mid-drain (exit 130).
 */
function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    for (const s of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(s, () => resolve());
  });
}

if (import.meta.main) {
  const encoder = new TextEncoder();
  const code = await main(Deno.args, {
    stdout: (text) => Deno.stdout.writeSync(encoder.encode(text)),
    stderr: (text) => Deno.stderr.writeSync(encoder.encode(text)),
    env: Deno.env.toObject(),
    waitForStop: waitForSignal,
  });
  Deno.exit(code);
}
