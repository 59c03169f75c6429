/**
 * Tributary's own products in tests: config files for a hub and for an agent
 * with the three seeded simulators, starting either as a real process (logs
 * in the test's dir), the agent's `/status`, and the wait until everything
 * produced has been delivered end to end. Used by the integration pipeline
 * tests and the fault scenarios (tests/reliability/_scenario.ts).
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { type Kind, KINDS } from "@tributary/shared/records";
import { type DenoProcess, startDenoProcess } from "./process.ts";
import { waitFor } from "./wait_for.ts";
import { hubQuery, tableCounts } from "./hub_client.ts";
import { canonicalRow, COMPARED_COLUMNS, expectedRows } from "./expected_rows.ts";

/** Seeds of the three simulators of an agent. */
export interface SimSeeds {
  sensors: number;
  logs: number;
  market: number;
}

/** Writes a hub config (same data dir across restarts) and returns its path. */
export async function writeHubConfig(dir: string, brokerUrl: string): Promise<string> {
  const path = join(dir, "hub.toml");
  await Deno.writeTextFile(
    path,
    `[hub]\ndata_dir = ${JSON.stringify(join(dir, "hub"))}\n` +
      `[http]\nlisten = "127.0.0.1:0"\nquery_max_rows = 10000000\n` +
      `[mqtt]\nurl = ${JSON.stringify(brokerUrl)}\n`,
  );
  return path;
}

/** Options of {@linkcode writeAgentConfig}. */
export interface AgentConfigOptions {
  dir: string;
  id: string;
  brokerUrl: string;
  seeds: SimSeeds;
  /** Rows per second per kind. */
  rate: number;
  /** Rows per kind. */
  limit: number;
  /** Extra lines for `[transport.mqtt]`. */
  mqttExtra?: string[];
  /** TOML appended after the inputs, e.g. a `[shipper]` table. */
  extraToml?: string;
}

/** Writes an agent config with the three simulators and returns its path. */
export async function writeAgentConfig(o: AgentConfigOptions): Promise<string> {
  const path = join(o.dir, "agent.toml");
  const sim = (type: string, seed: number) =>
    `[[inputs]]\ntype = "${type}"\nseed = ${seed}\nrate = ${o.rate}\nlimit = ${o.limit}\n`;
  await Deno.writeTextFile(
    path,
    `[agent]\nid = ${JSON.stringify(o.id)}\ndata_dir = ${JSON.stringify(join(o.dir, "agent"))}\n` +
      `[http]\nlisten = "127.0.0.1:0"\n` +
      `[transport]\ntype = "mqtt"\n[transport.mqtt]\nurl = ${JSON.stringify(o.brokerUrl)}\n` +
      (o.mqttExtra ?? []).map((line) => `${line}\n`).join("") +
      sim("sim_sensors", o.seeds.sensors) + sim("sim_logs", o.seeds.logs) +
      sim("sim_market", o.seeds.market) + (o.extraToml ?? ""),
  );
  return path;
}

/** Starts a hub or agent with its logs in `<dir>/logs/<name>` (kept with the dir on failure). */
export function startProduct(
  dir: string,
  name: string,
  script: "hub/main.ts" | "agent/main.ts",
  config: string,
  options: { readyTimeoutMs?: number } = {},
): Promise<DenoProcess> {
  return startDenoProcess({
    name,
    script,
    args: ["run", "--config", config],
    logDir: join(dir, "logs", name),
    readyTimeoutMs: options.readyTimeoutMs,
  });
}

/** Per-stream figures of the agent's `GET /status`. */
export interface StreamStatus {
  backlog_rows: number;
  backlog_bytes: number;
  oldest_unsent_age_s: number;
  next_seq: number;
  acked_rows: number;
  /** Rows dropped by reason (disk budget, max age, rows that can never be sent). */
  dropped?: Record<string, number>;
}

/** The agent's `/status` streams. */
export async function agentStatus(agentUrl: string): Promise<Record<Kind, StreamStatus>> {
  const response = await fetch(`${agentUrl}/status`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`agent /status answered ${response.status}`);
  }
  return (await response.json()).streams;
}

/** Total backlog rows over every stream. */
export function totalBacklog(streams: Record<Kind, StreamStatus>): number {
  return KINDS.reduce((sum, k) => sum + (streams[k]?.backlog_rows ?? 0), 0);
}

/** Options of {@linkcode waitDelivered}. */
export interface DeliveredOptions {
  /** How long all rows may take to reach the hub. @default 60_000 */
  storedTimeoutMs?: number;
  /** How long the agent's backlog may then take to reach 0. @default 30_000 */
  drainTimeoutMs?: number;
  /** What the first wait is called in its timeout message. @default "all rows at the hub" */
  storedMessage?: string;
  /** What the second wait is called. @default "agent backlog drained" */
  drainedMessage?: string;
}

/**
 * Waits until the hub holds at least `rowsPerKind` rows of every kind, then
 * until the agent's backlog is 0 (every row acknowledged end to end).
 */
export async function waitDelivered(
  hubUrl: string,
  agentUrl: string,
  rowsPerKind: number,
  options: DeliveredOptions = {},
): Promise<void> {
  await waitFor(async () => {
    const counts = await tableCounts(hubUrl);
    return KINDS.every((k) => counts[k] >= rowsPerKind);
  }, {
    timeoutMs: options.storedTimeoutMs ?? 60_000,
    intervalMs: 250,
    message: options.storedMessage ?? "all rows at the hub",
  });
  await waitFor(async () => totalBacklog(await agentStatus(agentUrl)) === 0, {
    timeoutMs: options.drainTimeoutMs ?? 30_000,
    intervalMs: 250,
    message: options.drainedMessage ?? "agent backlog drained",
  });
}

/**
 * Asserts that the hub holds exactly `rowsPerKind` rows of every kind and
 * that their values are the seeded simulators' rows (a multiset match).
 */
export async function assertSimulatorRows(
  hubUrl: string,
  seeds: SimSeeds,
  rowsPerKind: number,
): Promise<void> {
  const counts = await tableCounts(hubUrl);
  for (const kind of KINDS) assertEquals(counts[kind], rowsPerKind, `${kind} row count`);
  const expected = expectedRows(seeds, rowsPerKind);
  for (const kind of KINDS) {
    const columns = COMPARED_COLUMNS[kind];
    const answer = await hubQuery(hubUrl, `SELECT ${columns.join(", ")} FROM ${kind}`);
    const actual = answer.rows.map((row) =>
      canonicalRow(kind, Object.fromEntries(columns.map((c, i) => [c, row[i]])))
    );
    assertEquals(actual.sort(), [...expected[kind]].sort(), `${kind} values`);
  }
}
