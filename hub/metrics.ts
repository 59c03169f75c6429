/**
 * The hub's Prometheus metrics, in a registry owned by one hub instance (not
 * prom-client's global default), so two hubs in one process or test do not
 * share counters.
 *
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { type AgentSource, registerFleetMetrics } from "./fleet_metrics.ts";

/** prom-client default gauges named like counters (see createHubMetrics). */
const MISNAMED_DEFAULT_GAUGES = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/** The metrics one hub updates. */
export interface HubMetrics {
  readonly registry: Registry;
  /** Rows stored, by kind. */
  readonly rows: Counter<"kind">;
  /** Batches decoded and handled, by kind and outcome (inserted, duplicate, partial). */
  readonly batches: Counter<"kind" | "outcome">;
  /** Wire bytes of the batches handled, by kind. */
  readonly bytes: Counter<"kind">;
  /** Rows dropped because they were stored before, by kind. */
  readonly duplicateRows: Counter<"kind">;
  /** Messages quarantined, by reason. */
  readonly quarantined: Counter<"reason">;
  /** Retries of a message after a retryable failure, by reason. */
  readonly retries: Counter<"reason">;
  /** End-to-end acknowledgements published to agents, by outcome (inserted, partial, duplicate, rejected). */
  readonly acks: Counter<"outcome">;
  /** Seconds from receipt to commit (decode and transaction) of one batch. */
  readonly ingestSeconds: Histogram<never>;
  /** Agent heartbeats received, by result (stored, invalid, store_failed). */
  readonly heartbeats: Counter<"result">;
  /** Agents without a heartbeat for more than `stale_after_s`, computed at scrape time. */
  readonly staleAgents: Gauge<never>;
  /** Kafka consumers rebuilt after kafkajs gave up on them (CRASH with `restart: false`). */
  readonly kafkaConsumerRebuilds: Counter<never>;
}

/** Options of {@linkcode createHubMetrics}. */
export interface HubMetricsOptions {
  /** Also collect prom-client's process and runtime metrics. @default true */
  defaultMetrics?: boolean;
  /** Counts stale agents at scrape time; without it the gauge stays 0. */
  staleAgents?: () => Promise<number>;
  /** The agents with their latest heartbeats, read at scrape time for the `tributary_hub_agent_*` gauges (see fleet_metrics.ts); without it they are absent. */
  agents?: AgentSource;
}

/**
 * Creates the hub's registry and metrics.
 *
 * @example
 * ```ts
 * const metrics = createHubMetrics();
 * metrics.rows.inc({ kind: "readings" }, 100);
 * const page = await metrics.registry.metrics();
 * ```
 */
export function createHubMetrics(options: HubMetricsOptions = {}): HubMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // These gauges end in _total, which `promtool check metrics` rejects, and read 0 under Deno.
    for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  if (options.agents) registerFleetMetrics(registry, options.agents);
  return {
    registry,
    rows: new Counter({
      name: "tributary_hub_rows_total",
      help: "Rows stored in the hot store, by kind.",
      labelNames: ["kind"],
      registers,
    }),
    batches: new Counter({
      name: "tributary_hub_batches_total",
      help: "Batches handled, by kind and outcome (inserted, duplicate, partial).",
      labelNames: ["kind", "outcome"],
      registers,
    }),
    bytes: new Counter({
      name: "tributary_hub_bytes_total",
      help: "Wire bytes of the batches handled, by kind.",
      labelNames: ["kind"],
      registers,
    }),
    duplicateRows: new Counter({
      name: "tributary_hub_duplicate_rows_total",
      help: "Rows received again and dropped, by kind.",
      labelNames: ["kind"],
      registers,
    }),
    quarantined: new Counter({
      name: "tributary_hub_quarantined_total",
      help: "Messages quarantined, by reason.",
      labelNames: ["reason"],
      registers,
    }),
    retries: new Counter({
      name: "tributary_hub_retries_total",
      help: "Retries of a message after a retryable failure, by reason.",
      labelNames: ["reason"],
      registers,
    }),
    acks: new Counter({
      name: "tributary_hub_acks_total",
      help: "End-to-end acknowledgements published to agents, by outcome.",
      labelNames: ["outcome"],
      registers,
    }),
    ingestSeconds: new Histogram({
      name: "tributary_hub_ingest_seconds",
      help: "Seconds to decode and commit one batch.",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    heartbeats: new Counter({
      name: "tributary_hub_heartbeats_total",
      help: "Agent heartbeats received, by result (stored, invalid, store_failed).",
      labelNames: ["result"],
      registers,
    }),
    kafkaConsumerRebuilds: new Counter({
      name: "tributary_hub_kafka_consumer_rebuilds_total",
      help: "Kafka consumers rebuilt (reconnected and rejoined) after kafkajs gave up on them.",
      registers,
    }),
    staleAgents: new Gauge({
      name: "tributary_hub_agents_stale",
      help: "Agents whose last heartbeat is older than hub.stale_after_s (or who never sent one).",
      registers,
      async collect() {
        if (options.staleAgents === undefined) return;
        try {
          this.set(await options.staleAgents());
        } catch {
          // The store is closing or busy: keep the last value rather than fail the scrape.
        }
      },
    }),
  };
}
