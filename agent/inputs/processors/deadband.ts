/**
 * `deadband`: passes a reading only when its value moved more than `delta`
 * (absolute, or percent of the last value passed when `percent`) since the
 * last value passed for the same sensor and metric, or when `max_interval_s`
 * passed since then (a heartbeat, so a flat line still shows up). Suppressed
 * readings are counted under reason `deadband`.
 *
 * The last passed value is remembered only after the buffer committed the
 * batch, so a retried write decides the same way. State is kept for at most
 * `max_series` series; readings of further series pass unfiltered.
 *
 * @module
 */
import type { Reading } from "@tributary/shared/records";
import { globsMatcher, type Processor } from "./processor.ts";

/** Config of a `deadband` step. */
export interface DeadbandConfig {
  type: "deadband";
  /** Metric globs it applies to; [] = all. */
  metrics: string[];
  /** Smallest change passed. */
  delta: number;
  /** `delta` is a percentage of the last passed value. */
  percent: boolean;
  /** Pass a reading anyway after this long; 0 = never. */
  max_interval_s: number;
  /** Most series remembered. */
  max_series: number;
}

interface Last {
  value: number;
  ts: bigint;
}

/** Creates a `deadband` step. */
export function createDeadband(config: DeadbandConfig): Processor {
  const applies = globsMatcher(config.metrics, true);
  const last = new Map<string, Last>();
  const maxIntervalNs = BigInt(config.max_interval_s) * 1_000_000_000n;
  return {
    type: "deadband",
    process(rows) {
      const kept: Reading[] = [];
      // Decisions within the batch see the batch's earlier passes.
      const pending = new Map<string, Last>();
      let suppressed = 0;
      for (const r of rows) {
        if (!applies(r.metric)) {
          kept.push(r);
          continue;
        }
        const key = `${r.sensor}\u0000${r.metric}`;
        const prev = pending.get(key) ?? last.get(key);
        let pass = prev === undefined;
        if (prev !== undefined) {
          const threshold = config.percent
            ? Math.abs(prev.value) * config.delta / 100
            : config.delta;
          pass = Math.abs(r.value - prev.value) > threshold ||
            (config.max_interval_s > 0 && r.ts - prev.ts >= maxIntervalNs);
        }
        if (pass) {
          kept.push(r);
          if (last.has(key) || last.size + pending.size < config.max_series) {
            pending.set(key, { value: r.value, ts: r.ts });
          }
        } else {
          suppressed++;
        }
      }
      return {
        rows: kept,
        dropped: suppressed > 0 ? new Map([["deadband", suppressed]]) : undefined,
        commit: () => {
          for (const [k, v] of pending) last.set(k, v);
        },
      };
    },
  };
}
