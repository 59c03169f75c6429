/**
 * Prometheus metrics of the Parquet tier, registered on the hub's registry.
 *
 * @module
 */
import { Counter, type Registry } from "prom-client";

/** What the tierer and the query cache count. */
export interface TierMetrics {
  /** Rows moved from hot to cold, by kind. */
  readonly rows: Counter<"kind">;
  /** Objects written (tiered or compacted), by kind and step. */
  readonly objects: Counter<"kind" | "step">;
  /** Parquet bytes written, by kind. */
  readonly bytes: Counter<"kind">;
  /** Failed steps, by step (tier, compact, retention, cleanup); the pass is retried later. */
  readonly failures: Counter<"step">;
  /** Cold objects removed or archived by cold retention, by kind and action. */
  readonly expired: Counter<"kind" | "action">;
  /** Query cache lookups, by result (hit, miss). */
  readonly cache: Counter<"result">;
}

/** Creates the tier metrics on `registry` (a fresh one when omitted, for tests). */
export function createTierMetrics(registry?: Registry): TierMetrics {
  const registers = registry ? [registry] : [];
  return {
    rows: new Counter({
      name: "tributary_hub_tier_rows_total",
      help: "Rows moved from the hot store to the Parquet tier, by kind.",
      labelNames: ["kind"],
      registers,
    }),
    objects: new Counter({
      name: "tributary_hub_tier_objects_total",
      help: "Parquet objects written to the cold tier, by kind and step (tier, compact).",
      labelNames: ["kind", "step"],
      registers,
    }),
    bytes: new Counter({
      name: "tributary_hub_tier_bytes_total",
      help: "Parquet bytes written to the cold tier, by kind.",
      labelNames: ["kind"],
      registers,
    }),
    failures: new Counter({
      name: "tributary_hub_tier_failures_total",
      help: "Tiering steps that failed and will be retried, by step.",
      labelNames: ["step"],
      registers,
    }),
    expired: new Counter({
      name: "tributary_hub_tier_expired_objects_total",
      help: "Cold objects deleted or archived by cold retention, by kind and action.",
      labelNames: ["kind", "action"],
      registers,
    }),
    cache: new Counter({
      name: "tributary_hub_tier_cache_lookups_total",
      help: "Cold-query cache lookups, by result (hit, miss).",
      labelNames: ["result"],
      registers,
    }),
  };
}
