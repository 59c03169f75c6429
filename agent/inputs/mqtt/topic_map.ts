/**
 * Maps MQTT topic levels to reading fields: `topic_levels = "_/sensor/metric"`
 * means "ignore level 1, level 2 is the sensor, level 3 the metric". A level
 * is one of `_` (ignored), `sensor`, `metric`, `unit` or `tag:<name>` (a
 * tag); levels beyond the mapping are ignored.
 *
 * @example
 * ```ts
 * const map = parseTopicLevels("tag:site/_/sensor/metric", "inputs[0].topic_levels");
 * map("plant-1/dev/t-7/temperature");
 * // { sensor: "t-7", metric: "temperature", tags: { site: "plant-1" } }
 * ```
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";

/** What a topic says about its readings. */
export interface TopicFields {
  sensor?: string;
  metric?: string;
  unit?: string;
  tags: Record<string, string>;
}

/** A compiled mapping. */
export interface TopicMap {
  (topic: string): TopicFields;
  /** The fields the mapping can fill, e.g. `["sensor", "metric"]`. */
  readonly provides: readonly string[];
}

/**
 * Compiles `text` ("" maps nothing).
 *
 * @throws {ConfigError} naming `field` and the bad level.
 */
export function parseTopicLevels(text: string, field: string): TopicMap {
  const levels = text === "" ? [] : text.split("/");
  const provides: string[] = [];
  levels.forEach((level) => {
    const ok = level === "_" || level === "sensor" || level === "metric" || level === "unit" ||
      /^tag:[A-Za-z0-9_.-]+$/.test(level);
    if (!ok) {
      throw new ConfigError(
        field,
        text,
        `levels separated by "/", each "_", "sensor", "metric", "unit" or "tag:<name>" (bad: "${level}")`,
      );
    }
    if (level !== "_") {
      if (provides.includes(level)) {
        throw new ConfigError(field, text, `each of sensor, metric, unit, tag:<name> at most once`);
      }
      provides.push(level);
    }
  });
  const map = (topic: string): TopicFields => {
    const parts = topic.split("/");
    const out: TopicFields = { tags: {} };
    levels.forEach((level, i) => {
      const value = parts[i];
      if (value === undefined || value === "" || level === "_") return;
      if (level === "sensor" || level === "metric" || level === "unit") out[level] = value;
      else out.tags[level.slice(4)] = value;
    });
    return out;
  };
  return Object.assign(map, { provides });
}
