/**
 * `enrich`: adds static device metadata. `tags` go on every reading,
 * `sensor_tags` on the readings of one sensor, and `units` fills in the unit
 * of readings of a metric that came without one. Tags a reading already has
 * are kept unless `overwrite`.
 *
 * ```toml
 * processors = [{ type = "enrich", tags = { site = "plant-1" },
 *                 sensor_tags = { "t-7" = { room = "boiler" } }, units = { temperature = "degC" } }]
 * ```
 *
 * @module
 */
import type { Processor } from "./processor.ts";

/** Config of an `enrich` step. */
export interface EnrichConfig {
  type: "enrich";
  tags: Record<string, string>;
  sensor_tags: Record<string, Record<string, string>>;
  units: Record<string, string>;
  overwrite: boolean;
}

/** Creates an `enrich` step. */
export function createEnrich(config: EnrichConfig): Processor {
  return {
    type: "enrich",
    process(rows) {
      return {
        rows: rows.map((r) => {
          const extra = { ...config.tags, ...config.sensor_tags[r.sensor] };
          const unit = r.unit === "" ? config.units[r.metric] ?? "" : r.unit;
          if (Object.keys(extra).length === 0) return unit === r.unit ? r : { ...r, unit };
          const own = JSON.parse(r.tags) as Record<string, string>;
          const tags = config.overwrite ? { ...own, ...extra } : { ...extra, ...own };
          return { ...r, unit, tags: JSON.stringify(tags) };
        }),
      };
    },
  };
}
