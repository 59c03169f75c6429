/**
 * What the fault scenarios share: their hub and agent configs and processes
 * (the config writers, process start and the agent's /status live in
 * ../harness/product.ts, re-exported here), and the final accounting.
 *
 * The accounting compares multisets of row values: what the seeded
 * simulators (or the test's own batches) produced against what the hub
 * stored. Per distinct row value v, with s(v) copies sent and h(v) stored:
 * duplicated = Σ max(0, h(v) − s(v)), lost = Σ max(0, s(v) − h(v)); rows
 * that were never sent at all are counted apart, as `unexpected`.
 *
 * A scenario test reads as its scenario only: {@linkcode runScenario} owns
 * the temp dir, the hub and agent processes and their clean exit;
 * {@linkcode waitDelivered}, {@linkcode accountSimulators} and
 * {@linkcode rowsFlowAgain} are the waits and the tally they all end with.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { type Kind, KINDS } from "@tributary/shared/records";
import type { DenoProcess } from "../harness/process.ts";
import {
  type AgentConfigOptions,
  type SimSeeds,
  startProduct,
  writeAgentConfig,
  writeHubConfig,
} from "../harness/product.ts";
import { delay } from "../harness/_timeout.ts";
import { waitFor } from "../harness/wait_for.ts";
import { hubQuery, metricValue, storedRows } from "../harness/hub_client.ts";
import { canonicalRow, COMPARED_COLUMNS, expectedRows } from "../harness/expected_rows.ts";
import {
  type KafkaAgentConfigOptions,
  type KafkaHubConfigOptions,
  simulatorInputs,
  writeKafkaAgentConfig,
  writeKafkaHubConfig,
} from "../integration/kafka_configs.ts";

// The scenario tests import all they share from here.
export {
  type AgentConfigOptions,
  agentStatus,
  type DeliveredOptions,
  type SimSeeds,
  startProduct,
  type StreamStatus,
  totalBacklog,
  waitDelivered,
  writeAgentConfig,
  writeHubConfig,
} from "../harness/product.ts";

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

/**
 * Scenario agents warn about a stalled stream after 5 s instead of 60, so the
 * log of a failed run (kept in its dir) says what a stream that stopped
 * shipping was doing.
 */
export const STALL_WARN_MS = 5000;

/** The config files of a scenario's hub and agent, written into its temp dir. */
export interface ScenarioConfigs {
  hub: (dir: string) => Promise<string>;
  /** Absent for a scenario that feeds the hub itself (no agent process). */
  agent?: (dir: string) => Promise<string>;
}

/**
 * The configs of a scenario over MQTT: the hub on `brokerUrl`, the agent with
 * its three simulators on `agent.brokerUrl` (e.g. through a proxy) or the same broker.
 */
export function mqttScenario(
  brokerUrl: string,
  agent: Omit<AgentConfigOptions, "dir" | "brokerUrl"> & { brokerUrl?: string },
): ScenarioConfigs {
  return {
    hub: (dir) => writeHubConfig(dir, brokerUrl),
    agent: (dir) =>
      writeAgentConfig({
        ...agent,
        dir,
        brokerUrl: agent.brokerUrl ?? brokerUrl,
        extraToml: agent.extraToml ?? `[shipper]\nstall_warn_ms = ${STALL_WARN_MS}\n`,
      }),
  };
}

/** The agent side of {@linkcode kafkaScenario}. */
export interface KafkaScenarioAgent
  extends Omit<KafkaAgentConfigOptions, "dataDir" | "bootstrap" | "inputs"> {
  seeds: SimSeeds;
  /** Rows per second per kind. */
  rate: number;
  /** Rows per kind. */
  limit: number;
}

/**
 * The configs of a scenario over Kafka at `bootstrap`: the hub (with `hub`'s
 * settings) and the agent with its three simulators, data dirs in the scenario dir.
 */
export function kafkaScenario(
  bootstrap: string,
  hub: Omit<KafkaHubConfigOptions, "dataDir" | "bootstrap">,
  agent: KafkaScenarioAgent,
): ScenarioConfigs {
  const { seeds, rate, limit, ...agentOptions } = agent;
  return {
    hub: (dir) => writeKafkaHubConfig(dir, "hub", { ...hub, dataDir: join(dir, "hub"), bootstrap }),
    agent: (dir) =>
      writeKafkaAgentConfig(dir, "agent", {
        ...agentOptions,
        shipperExtra: agentOptions.shipperExtra ?? `stall_warn_ms = ${STALL_WARN_MS}`,
        dataDir: join(dir, "agent"),
        bootstrap,
        inputs: simulatorInputs(seeds, limit, rate),
      }),
  };
}

/**
 * The processes of a running scenario. `hub` and `agent` are the current
 * ones: starting another replaces it (kill or stop the old one first).
 */
export interface ScenarioRun {
  readonly dir: string;
  readonly hubConfig: string;
  readonly agentConfig: string | undefined;
  readonly hub: DenoProcess | undefined;
  readonly agent: DenoProcess | undefined;
  /** Starts a hub named `name` (its logs in `logs/<name>`); it becomes `hub`. */
  startHub(name?: string): Promise<DenoProcess>;
  /** Starts an agent named `name`; it becomes `agent`. */
  startAgent(name?: string): Promise<DenoProcess>;
  /** The current hub's HTTP base URL. */
  hubUrl(): string;
  /** The current agent's HTTP base URL. */
  agentUrl(): string;
}

/**
 * Runs one scenario in its own temp dir (see {@linkcode withScenarioDir}):
 * writes the configs, hands `body` a {@linkcode ScenarioRun} to start, kill
 * and restart processes with, then stops the last agent and hub gracefully
 * (after `body`, even when it failed) and asserts that both exited 0 (the
 * agent only when the scenario has one).
 */
export async function runScenario(
  prefix: string,
  configs: ScenarioConfigs,
  body: (run: ScenarioRun) => Promise<void>,
): Promise<void> {
  await withScenarioDir(prefix, async (dir) => {
    const hubConfig = await configs.hub(dir);
    const agentConfig = configs.agent ? await configs.agent(dir) : undefined;
    let hub: DenoProcess | undefined;
    let agent: DenoProcess | undefined;
    const url = (proc: DenoProcess | undefined, what: string) => {
      if (proc === undefined) throw new Error(`no ${what} started yet`);
      return String(proc.ready.http);
    };
    const run: ScenarioRun = {
      dir,
      hubConfig,
      agentConfig,
      get hub() {
        return hub;
      },
      get agent() {
        return agent;
      },
      startHub: async (name = "hub") =>
        hub = await startProduct(dir, name, "hub/main.ts", hubConfig),
      startAgent: async (name = "agent") => {
        if (agentConfig === undefined) throw new Error("this scenario has no agent config");
        return agent = await startProduct(dir, name, "agent/main.ts", agentConfig);
      },
      hubUrl: () => url(hub, "hub"),
      agentUrl: () => url(agent, "agent"),
    };
    let hubExit: number | undefined;
    let agentExit: number | undefined;
    try {
      await body(run);
    } finally {
      agentExit = await stopQuietly(agent);
      hubExit = await stopQuietly(hub);
    }
    if (agentConfig !== undefined) assertEquals(agentExit, 0, "agent exit code");
    assertEquals(hubExit, 0, "hub exit code");
  });
}

/**
 * Accounts the seeded simulators' rows at the hub (see {@linkcode accountRows})
 * after `settleMs`: a late redelivery would show up as an extra row, and the
 * absence of one is no condition a wait could watch for.
 */
export async function accountSimulators(
  scenario: string,
  hubUrl: string,
  seeds: SimSeeds,
  rowsPerKind: number,
  settleMs = 1_000,
): Promise<ScenarioAccounting> {
  if (settleMs > 0) await delay(settleMs);
  return await accountRows(scenario, hubUrl, simulatorTables(expectedRows(seeds, rowsPerKind)));
}

/**
 * Waits until the hub stores more than `before` rows (rows flow again after
 * a fault) and returns how many ms that took.
 */
export async function rowsFlowAgain(
  hubUrl: string,
  before: number,
  options: { timeoutMs: number; message: string },
): Promise<number> {
  const started = performance.now();
  await waitFor(async () => await storedRows(hubUrl) > before, {
    timeoutMs: options.timeoutMs,
    intervalMs: 100,
    message: options.message,
  });
  return Math.round(performance.now() - started);
}

/** `tributary_hub_batches_total` with `outcome` summed over every kind, from a /metrics page. */
export function hubBatches(page: string, outcome: "inserted" | "duplicate" | "partial"): number {
  return KINDS.reduce(
    (n, kind) =>
      n + metricValue(page, `tributary_hub_batches_total{kind="${kind}",outcome="${outcome}"}`),
    0,
  );
}
