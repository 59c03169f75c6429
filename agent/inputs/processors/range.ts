/**
 * `range`: readings of the given metrics whose value lies outside
 * [`min`, `max`] are not buffered for shipping but kept aside in the agent
 * buffer's `quarantine` table (see ../../buffer/quarantine.ts) with reason
 * `out_of_range`, and counted under that reason. A sensor reporting -999 for
 * "disconnected" then neither pollutes the hub nor disappears unnoticed.
 *
 * @module
 */
import type { Reading } from "@tributary/shared/records";
import { globsMatcher, type Processor } from "./processor.ts";

/** Config of a `range` step. */
export interface RangeConfig {
  type: "range";
  /** Metric globs it applies to; [] = all. */
  metrics: string[];
  /** Smallest valid value (inclusive); absent = no lower bound. */
  min?: number;
  /** Largest valid value (inclusive); absent = no upper bound. */
  max?: number;
}

/** Creates a `range` step. */
export function createRange(config: RangeConfig): Processor {
  const applies = globsMatcher(config.metrics, true);
  const min = config.min ?? -Infinity;
  const max = config.max ?? Infinity;
  return {
    type: "range",
    process(rows) {
      const kept: Reading[] = [];
      const out: Reading[] = [];
      for (const r of rows) {
        if (applies(r.metric) && (r.value < min || r.value > max)) out.push(r);
        else kept.push(r);
      }
      return {
        rows: kept,
        quarantine: out.length > 0 ? new Map([["out_of_range", out]]) : undefined,
      };
    },
  };
}
