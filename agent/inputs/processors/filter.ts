/**
 * `filter`: keeps readings whose sensor and metric match the include globs
 * and none of the exclude globs (and whose tags match `tags`); the rest are
 * dropped, counted under reason `filtered`.
 *
 * ```toml
 * processors = [{ type = "filter", include_metrics = ["usage_*"], exclude_sensors = ["cpu?*"] }]
 * ```
 *
 * @module
 */
import { globsMatcher, type Processor } from "./processor.ts";

/** Config of a `filter` step. Lists are globs (`*`, `?`); empty includes mean "all". */
export interface FilterConfig {
  type: "filter";
  include_sensors: string[];
  exclude_sensors: string[];
  include_metrics: string[];
  exclude_metrics: string[];
  /** Tag name → glob its value must match. */
  tags: Record<string, string>;
}

/** Creates a `filter` step. */
export function createFilter(config: FilterConfig): Processor {
  const includeSensor = globsMatcher(config.include_sensors, true);
  const excludeSensor = globsMatcher(config.exclude_sensors, false);
  const includeMetric = globsMatcher(config.include_metrics, true);
  const excludeMetric = globsMatcher(config.exclude_metrics, false);
  const tagMatchers = Object.entries(config.tags).map(([k, glob]) =>
    [k, globsMatcher([glob], true)] as const
  );
  return {
    type: "filter",
    process(rows) {
      const kept = rows.filter((r) => {
        if (!includeSensor(r.sensor) || excludeSensor(r.sensor)) return false;
        if (!includeMetric(r.metric) || excludeMetric(r.metric)) return false;
        if (tagMatchers.length === 0) return true;
        const tags = JSON.parse(r.tags) as Record<string, unknown>;
        return tagMatchers.every(([k, match]) => typeof tags[k] === "string" && match(tags[k]));
      });
      const dropped = rows.length - kept.length;
      return { rows: kept, dropped: dropped > 0 ? new Map([["filtered", dropped]]) : undefined };
    },
  };
}
