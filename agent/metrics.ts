/**
 * The agent's Prometheus metrics, in a registry of its own (no global state,
 * so tests and several agents in one process do not collide). Shipper
 * counters and buffer gauges are read at scrape time.
 *
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { type Kind, KINDS } from "@tributary/shared/records";
import type { DuckdbAllocatorStats } from "@tributary/shared/sql/duckdb_allocator";
import type { MallocInfo } from "@tributary/shared/glibc_malloc";
import type { StreamStats } from "./buffer/mod.ts";
import type { StreamCounters } from "./shipper.ts";

/** Where the metrics read their figures. */
export interface MetricsSources {
  /** Buffer figures per stream (called at most once per scrape). */
  stats(): Promise<Record<Kind, StreamStats>>;
  /** Shipper counters per stream. */
  counters(): Partial<Record<Kind, StreamCounters>>;
  /** True while the transport is connected. */
  connected(): boolean;
  /** DuckDB's own allocator figures, where the agent can read them (shared/sql/duckdb_allocator.ts). */
  duckdbMemory?(): DuckdbAllocatorStats;
  /** glibc's heap figures, where the process has glibc (shared/glibc_malloc.ts). */
  mallocMemory?(): MallocInfo | undefined;
}

/** The agent's metrics. */
export interface AgentMetrics {
  readonly registry: Registry;
  /** Counts rows an input committed to the buffer. */
  rowsBuffered(kind: Kind, rows: number): void;
  /** Counts a failed input write, by reason (e.g. `invalid_row`, `buffer_write`). */
  writeFailed(kind: Kind, reason: string): void;
  /** Counts rows input `input` (of `type`) committed to the buffer. */
  inputRows(input: string, type: string, rows: number): void;
  /** Counts records input `input` refused from its source, by reason. */
  inputRejected(input: string, type: string, reason: string, count: number): void;
  /** Counts records input `input` kept but flagged (outlier, sequence gap, ...), by flag. */
  inputFlagged(input: string, type: string, flag: string, count: number): void;
  /** Records the seconds from a batch's send to its confirmation (the hub's ack, end to end). */
  ackObserved(kind: Kind, seconds: number): void;
}

/** Options of {@linkcode createAgentMetrics}. */
export interface AgentMetricsOptions {
  /** Also collect prom-client's process and runtime metrics (CPU, memory, fds, event loop). @default true */
  defaultMetrics?: boolean;
}

/** prom-client default gauges named like counters: `promtool check metrics` rejects them, and they read 0 under Deno. */
const MISNAMED_DEFAULT_GAUGES = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** Buckets of the ack latency histogram, in seconds: from a local broker to a slow uplink. */
export const ACK_SECONDS_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/**
 * Creates the metrics of one agent.
 *
 * @example
 * ```ts
 * const metrics = createAgentMetrics({ stats: () => buffer.stats(), counters: () => shipper.counters(), connected: () => transport.connected });
 * const text = await metrics.registry.metrics();
 * ```
 */
export function createAgentMetrics(
  sources: MetricsSources,
  options: AgentMetricsOptions = {},
): AgentMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name);
  }
  const ackSeconds = new Histogram({
    name: "tributary_agent_ack_seconds",
    help: "Seconds from sending a batch to its confirmation (the hub's end-to-end ack by default).",
    labelNames: ["stream"],
    buckets: [...ACK_SECONDS_BUCKETS],
    registers: [registry],
  });
  const stream = ["stream"] as const;
  const streamReason = ["stream", "reason"] as const;

  const buffered = new Counter({
    name: "tributary_agent_rows_buffered_total",
    help: "Rows committed to the buffer by inputs.",
    labelNames: stream,
    registers: [registry],
  });
  const inputRows = new Counter({
    name: "tributary_agent_input_rows_total",
    help: "Rows each input committed to the buffer.",
    labelNames: ["input", "type"] as const,
    registers: [registry],
  });
  const inputFlagged = new Counter({
    name: "tributary_agent_input_flagged_total",
    help: "Records each input kept but flagged as suspect (outlier, sequence gap, ...), by flag.",
    labelNames: ["input", "type", "flag"] as const,
    registers: [registry],
  });
  const inputRejected = new Counter({
    name: "tributary_agent_input_rejected_total",
    help: "Records each input refused from its source (malformed, out of range, ...), by reason.",
    labelNames: ["input", "type", "reason"] as const,
    registers: [registry],
  });
  const writeFailures = new Counter({
    name: "tributary_agent_write_failures_total",
    help: "Input writes refused by the buffer, by reason.",
    labelNames: streamReason,
    registers: [registry],
  });

  const fromCounters = (
    name: string,
    help: string,
    pick: (c: StreamCounters) => number,
  ) =>
    new Counter({
      name,
      help,
      labelNames: stream,
      registers: [registry],
      collect() {
        this.reset();
        for (const [kind, c] of Object.entries(sources.counters())) {
          if (c) this.inc({ stream: kind }, pick(c));
        }
      },
    });
  fromCounters(
    "tributary_agent_rows_sent_total",
    "Rows confirmed by the transport.",
    (c) => c.rows_sent,
  );
  fromCounters(
    "tributary_agent_batches_sent_total",
    "Batches confirmed by the transport.",
    (c) => c.batches_sent,
  );
  fromCounters(
    "tributary_agent_bytes_sent_total",
    "Encoded bytes confirmed by the transport.",
    (c) => c.bytes_sent,
  );

  const byReason = (
    name: string,
    help: string,
    pick: (c: StreamCounters) => Record<string, number>,
  ) =>
    new Counter({
      name,
      help,
      labelNames: streamReason,
      registers: [registry],
      collect() {
        this.reset();
        for (const [kind, c] of Object.entries(sources.counters())) {
          if (!c) continue;
          for (const [reason, n] of Object.entries(pick(c))) this.inc({ stream: kind, reason }, n);
        }
      },
    });
  byReason("tributary_agent_send_failures_total", "Failed sends, by reason.", (c) => c.failures);

  // One buffer scan serves every buffer gauge of a scrape.
  let statsAt = 0;
  let statsPromise: Promise<Record<Kind, StreamStats> | undefined> | undefined;
  const stats = () => {
    if (statsPromise === undefined || performance.now() - statsAt > 250) {
      statsAt = performance.now();
      statsPromise = sources.stats().catch(() => undefined);
    }
    return statsPromise;
  };
  const fromStats = (
    name: string,
    help: string,
    pick: (s: StreamStats) => number,
    counter = false,
  ) => {
    const config = {
      name,
      help,
      labelNames: stream,
      registers: [registry],
    };
    if (counter) {
      return new Counter({
        ...config,
        async collect() {
          const s = await stats();
          if (!s) return;
          this.reset();
          for (const kind of KINDS) this.inc({ stream: kind }, pick(s[kind]));
        },
      });
    }
    return new Gauge({
      ...config,
      async collect() {
        const s = await stats();
        if (!s) return;
        for (const kind of KINDS) this.set({ stream: kind }, pick(s[kind]));
      },
    });
  };
  fromStats(
    "tributary_agent_backlog_rows",
    "Rows in the buffer not yet confirmed.",
    (s) => s.backlog_rows,
  );
  fromStats(
    "tributary_agent_backlog_bytes",
    "Approximate raw bytes of the backlog.",
    (s) => s.backlog_bytes,
  );
  fromStats(
    "tributary_agent_oldest_unsent_age_seconds",
    "Age of the oldest unconfirmed row.",
    (s) => s.oldest_unsent_age_s,
  );
  fromStats(
    "tributary_agent_rows_acked_total",
    "Rows confirmed and retired since the buffer was created.",
    (s) => s.acked_rows,
    true,
  );

  new Counter({
    name: "tributary_agent_rows_dropped_total",
    help: "Rows dropped, by reason: the buffer's budget_evicted, budget_full and max_age " +
      "(kept across restarts), the shipper's too_large and hub rejections.",
    labelNames: streamReason,
    registers: [registry],
    async collect() {
      const s = await stats();
      if (!s) return;
      this.reset();
      const merged = withShipperDrops(s, sources.counters());
      for (const kind of KINDS) {
        for (const [reason, n] of Object.entries(merged[kind].dropped)) {
          this.inc({ stream: kind, reason }, n);
        }
      }
    },
  });

  new Gauge({
    name: "tributary_agent_transport_connected",
    help: "1 while the transport is connected.",
    registers: [registry],
    collect() {
      this.set(sources.connected() ? 1 : 0);
    },
  });

  /** A native heap's bytes by state, read at scrape time; no samples when `read` has none. */
  const bytesByState = (
    name: string,
    help: string,
    read: () => Record<string, number> | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ["state"] as const,
      registers: [registry],
      collect() {
        for (const [state, bytes] of Object.entries(read() ?? {})) this.set({ state }, bytes);
      },
    });
  const { duckdbMemory, mallocMemory } = sources;
  if (duckdbMemory !== undefined) {
    bytesByState(
      "tributary_agent_duckdb_memory_bytes",
      "DuckDB's native memory, outside the process' malloc figures: allocated (held by " +
        "DuckDB), resident (in RAM), dirty and muzzy (freed, not yet given back).",
      () => ({ ...duckdbMemory() }),
    );
  }
  if (mallocMemory !== undefined) {
    bytesByState(
      "tributary_agent_malloc_bytes",
      "glibc's heap (not DuckDB's, not V8's): in_use, free (kept in its arenas) and " +
        "mmapped (large chunks mapped on their own).",
      () => {
        const info = mallocMemory();
        return info && { in_use: info.inUse, free: info.free, mmapped: info.mmapped };
      },
    );
  }

  for (const kind of KINDS) buffered.inc({ stream: kind }, 0);

  return {
    registry,
    rowsBuffered: (kind, rows) => buffered.inc({ stream: kind }, rows),
    writeFailed: (kind, reason) => writeFailures.inc({ stream: kind, reason }),
    inputRows: (input, type, rows) => inputRows.inc({ input, type }, rows),
    inputRejected: (input, type, reason, count) =>
      inputRejected.inc({ input, type, reason }, count),
    inputFlagged: (input, type, flag, count) => inputFlagged.inc({ input, type, flag }, count),
    ackObserved: (kind, seconds) => ackSeconds.observe({ stream: kind }, seconds),
  };
}

/**
 * `stats` with the shipper's drop counts (rows that can never be sent, hub
 * rejections) merged into the buffer's (`budget_*`, `max_age`) in each
 * stream's `dropped`, as `/status` and `/metrics` show them. The buffer also
 * records the shipper's drops (retire with `dropReason`, kept across
 * restarts), so per reason the larger count wins instead of the sum: the
 * buffer's total since it was created, never below the shipper's since start.
 */
export function withShipperDrops(
  stats: Record<Kind, StreamStats>,
  counters: Partial<Record<Kind, StreamCounters>>,
): Record<Kind, StreamStats> {
  const out = {} as Record<Kind, StreamStats>;
  for (const kind of KINDS) {
    const dropped = { ...stats[kind].dropped };
    for (const [reason, n] of Object.entries(counters[kind]?.rows_dropped ?? {})) {
      dropped[reason] = Math.max(dropped[reason] ?? 0, n);
    }
    out[kind] = { ...stats[kind], dropped };
  }
  return out;
}
