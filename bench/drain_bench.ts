/**
 * Drain benchmark (part of `deno task bench`, or alone:
 * `deno run -A bench/drain_bench.ts --drain-mib 64`): how fast an agent
 * empties a large backlog once its link comes back, and how much memory it
 * takes meanwhile.
 *
 * 1. Prefill: the bench writes the backlog straight into a fresh buffer file
 *    with the agent's own buffer API (`AgentBuffer.append`, the same code path
 *    the inputs use), rows from the seeded simulators, until the DuckDB file
 *    (+ WAL) reaches `--drain-mib`. This is the fastest way to a 1 GiB backlog
 *    (no need to run the simulators for minutes in real time), and the file is
 *    exactly what an agent that was offline would hold. A pool of 50,000 rows
 *    per kind is generated once and appended repeatedly (new seqs each time).
 *    Variants with their own `segmentRows` (e.g. `deployed-one-table`, the
 *    layout before segment tables) each get a backlog of their own, prefilled
 *    the same way.
 * 2. Mosquitto and the hub start; the agent starts on the prefilled file,
 *    connected to Mosquitto through a TCP proxy that is cut (connections
 *    reset), so it cannot ship. It stays offline for `offlineMs` (60 s), as
 *    any agent with a backlog has been: reconnecting, and retrying its first
 *    batch of each stream (read, encoded, refused). Two idle figures, both the
 *    median RSS of a window: "just started" (1–3 s after it is ready: the
 *    agent has done nothing yet) and "offline" (the last 5 s before the link
 *    returns: its steady state while the backlog waits).
 * 3. The proxy is restored; the clock runs until the hub holds every row.
 *    The agent's RSS is sampled every 100 ms throughout (peak and median
 *    while draining), its memory parts every second.
 *
 * Bytes counted: "buffer" = the DuckDB file (+ WAL) before the drain; "raw" =
 * the rows' own size (fixed-width fields + text lengths, the buffer's
 * `backlog_bytes`); "wire" = MQTT payloads the hub received
 * (`tributary_hub_bytes_total`: envelope + compressed body).
 *
 * To measure a change against the code before it in the same run, give a
 * checkout of the old code: `git worktree add /tmp/base HEAD~1`, then
 * `--baseline-root /tmp/base` adds `<variant>@baseline` after each variant.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { type Kind, KINDS, nowNs, type RowOf } from "@tributary/shared/records";
import { AgentBuffer } from "../agent/buffer/mod.ts";
import { createSensorSimulator } from "../agent/inputs/sim_sensors/generator.ts";
import { createLogSimulator } from "../agent/inputs/sim_logs/generator.ts";
import { createMarketSimulator } from "../agent/inputs/sim_market/generator.ts";
import { startMosquitto } from "../tests/harness/mosquitto.ts";
import { startDenoProcess } from "../tests/harness/process.ts";
import { startTcpProxy } from "../tests/harness/tcp_proxy.ts";
import { metricSum, waitForRows } from "./hub_figures.ts";
import { machineSummary } from "./machine.ts";
import { AGENT_V8_FLAGS } from "../tools/compile.ts";
import { type RssSample, startRssSampler, windowFigures } from "./rss.ts";
import { describeParts, type MemoryParts, startMemoryPartsSampler } from "./agent_memory.ts";

/** One agent setting to drain with; several are compared in the same run. */
export interface DrainVariant {
  name: string;
  /** Extra TOML lines for the agent's `[shipper]` table. */
  shipper?: string;
  /** Extra TOML lines for the agent's `[buffer]` table. */
  buffer?: string;
  /** Deno flags of the agent process. @default ["-A"] */
  denoFlags?: string[];
  /** Extra environment of the agent process. */
  env?: Record<string, string>;
  /**
   * Another checkout whose agent/main.ts runs instead of this one's (e.g. a
   * `git worktree` of the previous commit), to compare code in the same run.
   */
  agentRoot?: string;
  /**
   * Seqs per segment table, for the prefill and the agent (`[buffer]
   * segment_rows`): variants that differ here each drain their own backlog,
   * prefilled the same way. @default the buffer's default
   */
  segmentRows?: number;
}

/** The agent's systemd unit (deploy/agent/); the "deployed" variant runs with its environment. */
const AGENT_UNIT = new URL("../deploy/agent/tributary-agent.service", import.meta.url);

/** The `Environment=NAME=value` lines of a systemd unit. */
export function unitEnvironment(unit: URL): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of Deno.readTextFileSync(unit).split("\n")) {
    const match = /^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

/** The unit's environment, read once for every deployed variant. */
const DEPLOYED_ENV = unitEnvironment(AGENT_UNIT);

/** The agent as deployed (compiled agent's V8 flags, the unit's environment), with `buffer` TOML lines. */
function asDeployed(name: string, buffer?: string, segmentRows?: number): DrainVariant {
  return { name, denoFlags: ["-A", AGENT_V8_FLAGS], env: DEPLOYED_ENV, buffer, segmentRows };
}

/** More seqs than any backlog here: each stream one table, the layout before segments. */
const ONE_TABLE = 1_073_741_824;

/** Built-in variants, selectable with `--drain-variants`. */
export const DRAIN_VARIANTS: Record<string, DrainVariant> = {
  // The agent as `deno run -A agent/main.ts` starts it (tests, demo).
  default: { name: "default" },
  // Session 1's advice for small devices (V8 keeps a smaller heap); "deployed" replaces it.
  "optimize-for-size": {
    name: "optimize-for-size",
    denoFlags: ["-A", "--v8-flags=--optimize-for-size"],
  },
  // The buffer's heap reclaimer on (agent/buffer/heap_reclaim.ts), V8's default young generation.
  "expose-gc": { name: "expose-gc", denoFlags: ["-A", "--v8-flags=--expose-gc"] },
  // As deployed: the compiled agent's V8 flags and the malloc settings of its systemd unit.
  deployed: asDeployed("deployed"),
  // As deployed, DuckDB's cache capped at 24 or 32 MiB, or 64 (the limit before session 6; 16 now).
  "deployed-24mib": asDeployed("deployed-24mib", "memory_limit_mib = 24"),
  "deployed-32mib": asDeployed("deployed-32mib", "memory_limit_mib = 32"),
  "deployed-64mib": asDeployed("deployed-64mib", "memory_limit_mib = 64"),
  // As deployed, each stream in one table (the layout before segment tables, session 9).
  "deployed-one-table": asDeployed(
    "deployed-one-table",
    `segment_rows = ${ONE_TABLE}`,
    ONE_TABLE,
  ),
  // The shipper's in-flight window: 1 batch per stream instead of 4.
  "in-flight-1": { name: "in-flight-1", shipper: "in_flight = 1" },
  // A hard V8 heap cap: bounds the heap but GC thrashes (2.5x slower, see docs/benchmarks.md).
  "old-space-64": {
    name: "old-space-64",
    denoFlags: ["-A", "--v8-flags=--max-old-space-size=64"],
  },
};

/** What one drain measured. */
export interface DrainFigures {
  variant: string;
  rows: number;
  bufferMiB: number;
  rawMiB: number;
  wireMiB: number;
  seconds: number;
  rowsPerSecond: number;
  bufferMiBPerSecond: number;
  rawMiBPerSecond: number;
  wireMiBPerSecond: number;
  /** Median RSS 1–3 s after the agent is ready, before it has done anything. */
  startIdleRssMiB: number;
  /** Median RSS over the last 5 s of its time offline: its steady state with a backlog waiting. */
  offlineIdleRssMiB: number;
  peakRssMiB: number;
  /** Median of the samples during the drain: the plateau, less sensitive to one spike than the peak. */
  drainMedianRssMiB: number;
  /** Every RSS sample from the agent's start to the drain's end (only in `--json`). */
  rssTrace?: RssSample[];
  /** When the link came back, ms into `rssTrace`. */
  restoredAtMs?: number;
  /**
   * The agent's memory by part (its `/metrics`, medians): just started,
   * offline, the drain's first 30 s, the whole drain.
   */
  startParts?: MemoryParts;
  offlineParts?: MemoryParts;
  earlyParts?: MemoryParts;
  drainParts?: MemoryParts;
  /** The agent's "DuckDB memory limit raised" warnings: a limit too low for the drain. */
  memoryLimitRaises?: string[];
}

/** How long the drain's start is sampled on its own, ms. */
const EARLY_DRAIN_MS = 30_000;
/** The "just started" idle window, ms after the agent is ready. */
const START_IDLE_MS: [number, number] = [1000, 3000];
/** The "offline" idle window: this many ms before the link comes back. */
const OFFLINE_IDLE_WINDOW_MS = 5000;

/** A prefilled buffer file, copied for each run. */
export interface Backlog {
  path: string;
  rowsPerKind: number;
  bufferBytes: number;
  rawBytes: number;
  seconds: number;
}

const POOL_ROWS = 50_000;
const MiB = 1024 * 1024;

/** 50,000 simulated rows per kind, receipt times 1 µs apart, appended over and over by the prefill. */
export function backlogPool(): { [K in Kind]: RowOf[K][] } {
  const ts = nowNs();
  const sensors = createSensorSimulator({
    seed: 1,
    sensors: 24,
    site: "plant-1",
    sensorsPerLine: 8,
  });
  const logs = createLogSimulator({ seed: 2, sources: 5, hosts: 3 });
  const market = createMarketSimulator({ seed: 3, symbols: 5 });
  // 1 µs apart, so the rows look like a real backlog (ascending receipt times).
  const stamp = (i: number) => ({ ts: ts + BigInt(i) * 1000n, recv_ts: ts + BigInt(i) * 1000n });
  const n = Array.from({ length: POOL_ROWS }, (_, i) => i);
  return {
    readings: n.map((i) => ({ ...sensors.next(), ...stamp(i) })),
    logs: n.map((i) => ({ ...logs.next(), ...stamp(i) })),
    trades: n.map((i) => ({ ...market.nextTrade(), ...stamp(i) })),
    quotes: n.map((i) => ({ ...market.nextQuote(), ...stamp(i) })),
  };
}

async function fileBytes(path: string): Promise<number> {
  let total = 0;
  for (const p of [path, `${path}.wal`]) {
    total += await Deno.stat(p).then((s) => s.size, () => 0);
  }
  return total;
}

/**
 * Writes a backlog of about `mib` MiB (DuckDB file + WAL) into
 * `<dir>/buffer.duckdb`, in segment tables of `segmentRows` (default: the buffer's).
 */
export async function prefillBacklog(
  dir: string,
  agent: string,
  mib: number,
  segmentRows?: number,
): Promise<Backlog> {
  const started = performance.now();
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, "buffer.duckdb");
  const rows = backlogPool();
  const buffer = await AgentBuffer.open({ path, agent, segmentRows });
  let rowsPerKind = 0;
  let rawBytes = 0;
  try {
    while (await fileBytes(path) < mib * MiB) {
      for (const kind of KINDS) await buffer.append(kind, rows[kind]);
      rowsPerKind += POOL_ROWS;
    }
    const stats = await buffer.stats();
    rawBytes = KINDS.reduce((n, k) => n + stats[k].backlog_bytes, 0);
  } finally {
    await buffer.close();
  }
  return {
    path,
    rowsPerKind,
    bufferBytes: await fileBytes(path),
    rawBytes,
    seconds: (performance.now() - started) / 1000,
  };
}

async function wireBytes(hubUrl: string): Promise<number> {
  const page = await (await fetch(`${hubUrl}/metrics`, { signal: AbortSignal.timeout(10_000) }))
    .text();
  return metricSum(page, "tributary_hub_bytes_total");
}

/** Drains a copy of `backlog` with `variant`; see the module documentation. */
export async function runDrain(
  backlog: Backlog,
  variant: DrainVariant,
  workDir: string,
  offlineMs = 60_000,
): Promise<DrainFigures> {
  const hubDir = join(workDir, "hub");
  const agentDir = join(workDir, "agent");
  await Deno.mkdir(hubDir, { recursive: true });
  await Deno.mkdir(agentDir, { recursive: true });
  await Deno.copyFile(backlog.path, join(agentDir, "buffer.duckdb"));
  const broker = await startMosquitto();
  const proxy = await startTcpProxy({ targetPort: broker.port });
  let hub: Awaited<ReturnType<typeof startDenoProcess>> | undefined;
  let agent: Awaited<ReturnType<typeof startDenoProcess>> | undefined;
  try {
    const hubConfig = join(workDir, "hub.toml");
    await Deno.writeTextFile(
      hubConfig,
      `[hub]\ndata_dir = ${JSON.stringify(hubDir)}\nlog_level = "warn"\n` +
        `[http]\nlisten = "127.0.0.1:0"\n[mqtt]\nurl = ${JSON.stringify(broker.url)}\n`,
    );
    hub = await startDenoProcess({
      name: "hub",
      script: "hub/main.ts",
      args: ["run", "--config", hubConfig],
    });
    const hubUrl = String(hub.ready.http);
    proxy.cut("reset");
    const agentConfig = join(workDir, "agent.toml");
    await Deno.writeTextFile(
      agentConfig,
      `[agent]\nid = "bench-drain"\ndata_dir = ${JSON.stringify(agentDir)}\n` +
        `log_level = "warn"\n[http]\nlisten = "127.0.0.1:0"\n` +
        `[shipper]\n${variant.shipper ?? ""}\n[buffer]\n${variant.buffer ?? ""}\n` +
        `[transport]\ntype = "mqtt"\n[transport.mqtt]\n` +
        `url = "mqtt://127.0.0.1:${proxy.port}"\nreconnect_initial_ms = 100\n` +
        `reconnect_max_ms = 200\n`,
    );
    agent = await startDenoProcess({
      name: "agent",
      script: "agent/main.ts",
      args: ["run", "--config", agentConfig],
      denoFlags: variant.denoFlags,
      env: variant.env,
      cwd: variant.agentRoot,
      readyTimeoutMs: 120_000,
    });
    // One sampler of each kind from the start to the end (the windows are cut
    // out afterwards), so no extra scraping lands on any window.
    const rssSampler = startRssSampler(agent.pid);
    const partsSampler = startMemoryPartsSampler(String(agent.ready.http));
    const sampling = performance.now();
    await new Promise((r) => setTimeout(r, offlineMs)); // The link is down meanwhile.
    const restoredAtMs = performance.now() - sampling;
    proxy.restore();
    await waitForRows(hubUrl, backlog.rowsPerKind, 3_600_000);
    const seconds = (performance.now() - sampling - restoredAtMs) / 1000;
    const rss = rssSampler.stop();
    await partsSampler.stop();
    const offlineIdle: [number, number] = [restoredAtMs - OFFLINE_IDLE_WINDOW_MS, restoredAtMs];
    const draining = windowFigures(rss.trace, restoredAtMs, Infinity);
    const startParts = partsSampler.windowMedians(...START_IDLE_MS);
    const offlineParts = partsSampler.windowMedians(...offlineIdle);
    // The drain's start on its own: a step there is not a growth with the rows drained.
    const earlyParts = partsSampler.windowMedians(restoredAtMs, restoredAtMs + EARLY_DRAIN_MS);
    const drainParts = partsSampler.windowMedians(restoredAtMs, Infinity);
    const memoryLimitRaises = agent.stderr().split("\n")
      .filter((line) => line.includes("memory limit raised"));
    const wire = await wireBytes(hubUrl);
    const rows = backlog.rowsPerKind * KINDS.length;
    return {
      variant: variant.name,
      rows,
      bufferMiB: backlog.bufferBytes / MiB,
      rawMiB: backlog.rawBytes / MiB,
      wireMiB: wire / MiB,
      seconds,
      rowsPerSecond: rows / seconds,
      bufferMiBPerSecond: backlog.bufferBytes / MiB / seconds,
      rawMiBPerSecond: backlog.rawBytes / MiB / seconds,
      wireMiBPerSecond: wire / MiB / seconds,
      startIdleRssMiB: windowFigures(rss.trace, ...START_IDLE_MS).medianMiB,
      offlineIdleRssMiB: windowFigures(rss.trace, ...offlineIdle).medianMiB,
      peakRssMiB: draining.peakMiB,
      drainMedianRssMiB: draining.medianMiB,
      rssTrace: rss.trace,
      restoredAtMs,
      startParts,
      offlineParts,
      earlyParts,
      drainParts,
      memoryLimitRaises,
    };
  } finally {
    await agent?.stop("SIGTERM", 20_000);
    await hub?.stop("SIGTERM", 20_000);
    await proxy.stop();
    await broker.stop();
  }
}

/** "+A over just started, +B over offline" for a drain figure. */
function overIdle(f: DrainFigures, mib: number): string {
  const plus = (idle: number) => `${mib >= idle ? "+" : ""}${(mib - idle).toFixed(1)}`;
  return `${plus(f.startIdleRssMiB)} over just started, ${plus(f.offlineIdleRssMiB)} over offline`;
}

function describe(f: DrainFigures): string {
  return `${f.variant}: ${f.rows} rows in ${f.seconds.toFixed(1)} s = ` +
    `${Math.round(f.rowsPerSecond)} rows/s; buffer ${f.bufferMiBPerSecond.toFixed(2)} MiB/s, ` +
    `raw ${f.rawMiBPerSecond.toFixed(2)} MiB/s, wire ${f.wireMiBPerSecond.toFixed(2)} MiB/s; ` +
    `agent RSS just started ${f.startIdleRssMiB.toFixed(1)} MiB, offline ` +
    `${f.offlineIdleRssMiB.toFixed(1)} MiB; draining: peak ${f.peakRssMiB.toFixed(1)} MiB ` +
    `(${overIdle(f, f.peakRssMiB)}), median ${f.drainMedianRssMiB.toFixed(1)} MiB ` +
    `(${overIdle(f, f.drainMedianRssMiB)})` +
    describeParts([
      ["just started", f.startParts],
      ["offline", f.offlineParts],
      [`first ${EARLY_DRAIN_MS / 1000} s`, f.earlyParts],
      ["median draining", f.drainParts],
    ]) +
    (f.memoryLimitRaises?.length
      ? `; DuckDB memory limit raised: ${f.memoryLimitRaises.join(" ")}`
      : "");
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Options of {@linkcode drainSection}. */
export interface DrainSectionOptions {
  mib: number;
  runs: number;
  variants: DrainVariant[];
}

/**
 * Prefills one backlog, drains a copy of it `runs` times per variant
 * (interleaved), prints each run and the medians; returns every run's figures.
 */
export async function drainSection(options: DrainSectionOptions): Promise<DrainFigures[]> {
  const root = await Deno.makeTempDir({ prefix: "tributary-drain-" });
  try {
    console.log(`\n# Drain of a ${options.mib} MiB backlog (agent → Mosquitto → hub)`);
    // One backlog per segment layout, prefilled when a variant first needs it.
    const backlogs = new Map<number | undefined, Backlog>();
    const backlogFor = async (segmentRows: number | undefined): Promise<Backlog> => {
      let backlog = backlogs.get(segmentRows);
      if (backlog !== undefined) return backlog;
      const dir = join(root, `backlog-${segmentRows ?? "default"}`);
      backlog = await prefillBacklog(dir, "bench-drain", options.mib, segmentRows);
      console.log(
        `backlog (segment_rows ${segmentRows ?? "default"}): ${backlog.rowsPerKind} rows per ` +
          `kind (x4), DuckDB file ${(backlog.bufferBytes / MiB).toFixed(1)} MiB, raw rows ` +
          `${(backlog.rawBytes / MiB).toFixed(1)} MiB; prefilled in ${
            backlog.seconds.toFixed(0)
          } s`,
      );
      backlogs.set(segmentRows, backlog);
      return backlog;
    };
    const all: DrainFigures[] = [];
    for (let run = 1; run <= options.runs; run++) {
      for (const variant of options.variants) {
        const backlog = await backlogFor(variant.segmentRows);
        const workDir = join(root, `run-${run}-${variant.name}`);
        try {
          const figures = await runDrain(backlog, variant, workDir);
          all.push(figures);
          console.log(`run ${run} ${describe(figures)}`);
        } finally {
          await Deno.remove(workDir, { recursive: true });
        }
      }
    }
    if (options.runs > 1) {
      console.log(`medians over ${options.runs} runs:`);
      for (const variant of options.variants) {
        const mine = all.filter((f) => f.variant === variant.name);
        const pick = (key: keyof DrainFigures) => median(mine.map((f) => f[key] as number));
        console.log(`  ${
          describe({
            variant: variant.name,
            rows: mine[0]!.rows,
            bufferMiB: pick("bufferMiB"),
            rawMiB: pick("rawMiB"),
            wireMiB: pick("wireMiB"),
            seconds: pick("seconds"),
            rowsPerSecond: pick("rowsPerSecond"),
            bufferMiBPerSecond: pick("bufferMiBPerSecond"),
            rawMiBPerSecond: pick("rawMiBPerSecond"),
            wireMiBPerSecond: pick("wireMiBPerSecond"),
            startIdleRssMiB: pick("startIdleRssMiB"),
            offlineIdleRssMiB: pick("offlineIdleRssMiB"),
            peakRssMiB: pick("peakRssMiB"),
            drainMedianRssMiB: pick("drainMedianRssMiB"),
          })
        }`);
      }
    }
    return all;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Parses `--drain-variants`. */
export function parseVariants(list: string): DrainVariant[] {
  return list.split(",").map((v) => v.trim()).filter(Boolean).map((name) => {
    const variant = DRAIN_VARIANTS[name];
    if (variant === undefined) {
      throw new Error(
        `--drain-variants: got ${JSON.stringify(name)}, expected one of ${
          Object.keys(DRAIN_VARIANTS).join(", ")
        }`,
      );
    }
    return variant;
  });
}

/**
 * Each variant followed by its twin that runs the agent from `root` (named
 * `<variant>@baseline`), so a change is measured against the old code in one
 * interleaved run.
 */
export function withBaseline(variants: DrainVariant[], root: string): DrainVariant[] {
  return variants.flatMap((v) => [v, { ...v, name: `${v.name}@baseline`, agentRoot: root }]);
}

/** Parses `--drain-mib` (0 skips the drain section). */
export function parseDrainMiB(value: string): number {
  const mib = Number(value);
  if (!Number.isFinite(mib) || mib < 0) {
    throw new Error(`--drain-mib: got ${value}, expected a number >= 0 (0 skips the drain)`);
  }
  return mib;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
    options: {
      "drain-mib": { type: "string", default: "1024" },
      "drain-runs": { type: "string", default: "1" },
      "drain-variants": { type: "string", default: "default,deployed" },
      "baseline-root": { type: "string" },
      json: { type: "string" },
    },
  });
  try {
    console.log(await machineSummary());
    const figures = await drainSection({
      mib: parseDrainMiB(values["drain-mib"]),
      runs: Math.max(1, Number(values["drain-runs"]) || 1),
      variants: values["baseline-root"] === undefined
        ? parseVariants(values["drain-variants"])
        : withBaseline(parseVariants(values["drain-variants"]), values["baseline-root"]),
    });
    if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(figures, null, 2));
    Deno.exit(0);
  } catch (error) {
    console.error(`drain bench failed: ${error instanceof Error ? error.stack : error}`);
    Deno.exit(1);
  }
}
