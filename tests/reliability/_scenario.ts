/**
 * What the fault scenarios share: config files for the hub and the agent,
 * starting them as real processes (logs inside the scenario's temp dir), the
 * agent's /status, and the final accounting.
 *
 * The accounting compares multisets of row values: what the seeded
 * simulators (or the test's own batches) produced against what the hub
 * stored. Per distinct row value v, with s(v) copies sent and h(v) stored:
 * duplicated = Σ max(0, h(v) − s(v)), lost = Σ max(0, s(v) − h(v)); rows
 * that were never sent at all are counted apart, as `unexpected`.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { type Kind, KINDS } from "@tributary/shared/records";
import { type DenoProcess, startDenoProcess } from "../harness/process.ts";
import { hubQuery } from "../integration/hub_client.ts";
import { canonicalRow, COMPARED_COLUMNS } from "../integration/expected_rows.ts";

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
      sim("sim_market", o.seeds.market),
  );
  return path;
}

/** Starts a hub or agent with its logs in `<dir>/logs/<name>` (kept with the dir on failure). */
export function startProduct(
  dir: string,
  name: string,
  script: "hub/main.ts" | "agent/main.ts",
  config: string,
): Promise<DenoProcess> {
  return startDenoProcess({
    name,
    script,
    args: ["run", "--config", config],
    logDir: join(dir, "logs", name),
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

/** One table to account for: the SQL select list, the canonical form of a row, what was sent. */
export interface AccountedTable {
  kind: Kind;
  /** The SELECT list, e.g. the compared columns. */
  select: string[];
  /** A result row as a canonical string comparable with `expected`. */
  canonical: (row: unknown[]) => string;
  /** Canonical rows sent (a multiset). */
  expected: readonly string[];
}

/** The simulator tables: compared columns, expected rows recomputed from the seeds. */
export function simulatorTables(expected: Record<Kind, string[]>): AccountedTable[] {
  return KINDS.map((kind) => {
    const columns = COMPARED_COLUMNS[kind];
    return {
      kind,
      select: [...columns],
      canonical: (row) =>
        canonicalRow(kind, Object.fromEntries(columns.map((c, i) => [c, row[i]]))),
      expected: expected[kind],
    };
  });
}

/** The figures of one kind, or of the whole scenario. */
export interface Accounting {
  sent: number;
  stored: number;
  duplicated: number;
  lost: number;
  unexpected: number;
}

/** The result of {@linkcode accountRows}. */
export interface ScenarioAccounting extends Accounting {
  byKind: Partial<Record<Kind, Accounting>>;
  /** The scenario line, e.g. `scenario hub_kill: sent 40000 stored 40000 duplicated 0 lost 0`. */
  line: string;
}

/** Compares what the hub stored with what was sent, table by table, and prints the scenario line. */
export async function accountRows(
  scenario: string,
  hubUrl: string,
  tables: readonly AccountedTable[],
): Promise<ScenarioAccounting> {
  const total: Accounting = { sent: 0, stored: 0, duplicated: 0, lost: 0, unexpected: 0 };
  const byKind: Partial<Record<Kind, Accounting>> = {};
  for (const table of tables) {
    const answer = await hubQuery(hubUrl, `SELECT ${table.select.join(", ")} FROM ${table.kind}`);
    const balance = new Map<string, number>();
    for (const row of table.expected) balance.set(row, (balance.get(row) ?? 0) + 1);
    const sentValues = new Set(balance.keys());
    for (const row of answer.rows) {
      const key = table.canonical(row);
      balance.set(key, (balance.get(key) ?? 0) - 1);
    }
    const figures: Accounting = {
      sent: table.expected.length,
      stored: answer.rows.length,
      duplicated: 0,
      lost: 0,
      unexpected: 0,
    };
    for (const [key, n] of balance) {
      if (n > 0) figures.lost += n;
      else if (n < 0 && sentValues.has(key)) figures.duplicated -= n;
      else if (n < 0) figures.unexpected -= n;
    }
    byKind[table.kind] = figures;
    for (const f of Object.keys(total) as (keyof Accounting)[]) total[f] += figures[f];
  }
  const details = Object.entries(byKind).map(([kind, f]) =>
    `${kind} ${f.stored}/${f.sent} dup ${f.duplicated} lost ${f.lost}` +
    (f.unexpected > 0 ? ` unexpected ${f.unexpected}` : "")
  ).join("; ");
  const line = `scenario ${scenario}: sent ${total.sent} stored ${total.stored} ` +
    `duplicated ${total.duplicated} lost ${total.lost}` +
    (total.unexpected > 0 ? ` unexpected ${total.unexpected}` : "");
  console.log(`${line}  (${details})`);
  return { ...total, byKind, line };
}

/** Asserts that every row sent was stored exactly once, and nothing else. */
export function assertExactlyOnce(result: ScenarioAccounting): void {
  assertEquals(
    { lost: result.lost, duplicated: result.duplicated, unexpected: result.unexpected },
    { lost: 0, duplicated: 0, unexpected: 0 },
    `${result.line}\n${JSON.stringify(result.byKind)}`,
  );
  assertEquals(result.stored, result.sent, result.line);
}

/** Stops a process gracefully if it still runs; returns its exit code (for the caller to check). */
export async function stopQuietly(proc: DenoProcess | undefined): Promise<number | undefined> {
  if (proc === undefined) return undefined;
  return (await proc.stop("SIGINT", 15_000)).code;
}

/**
 * Makes a temp dir for a scenario, runs `body`, and removes the dir when it
 * passed; on failure the dir (with every process log) is kept and named.
 */
export async function withScenarioDir(
  prefix: string,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: `tributary-${prefix}-` });
  try {
    await body(dir);
  } catch (error) {
    console.error(`scenario ${prefix} failed; logs kept in ${dir}/logs`);
    throw error;
  }
  await Deno.remove(dir, { recursive: true });
}

/** Milliseconds from an env variable holding seconds, or `fallbackS` seconds. */
export function envSeconds(name: string, fallbackS: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallbackS * 1000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name}=${raw}: expected a number of seconds >= 0`);
  }
  return value * 1000;
}
