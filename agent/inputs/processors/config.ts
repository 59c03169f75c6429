/**
 * Reads the `processors = [...]` list of an `[[inputs]]` table: each entry a
 * table with a `type` (`filter`, `deadband`, `enrich`, `range`) and that
 * step's options. Steps run in the order listed.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import {
  readBool,
  readInt,
  readNumber,
  readTable,
  rejectUnknownKeys,
  type Table,
} from "@tributary/shared/config/fields";
import { createDeadband, type DeadbandConfig } from "./deadband.ts";
import { createEnrich, type EnrichConfig } from "./enrich.ts";
import { createFilter, type FilterConfig } from "./filter.ts";
import type { Processor } from "./processor.ts";
import { createRange, type RangeConfig } from "./range.ts";

/** The config of one step. */
export type ProcessorConfig = FilterConfig | DeadbandConfig | EnrichConfig | RangeConfig;

/** Processor types, by config name. */
export const PROCESSOR_TYPES = ["filter", "deadband", "enrich", "range"] as const;

function readStrings(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v !== "")) {
    throw new ConfigError(field, value, "a list of non-empty strings (globs)");
  }
  return value as string[];
}

function readStringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined) return {};
  const table = readTable(value, field);
  for (const [k, v] of Object.entries(table)) {
    if (typeof v !== "string") throw new ConfigError(`${field}.${k}`, v, "a string");
  }
  return table as Record<string, string>;
}

function readOne(raw: unknown, field: string): ProcessorConfig {
  const t: Table = readTable(raw, field);
  switch (t.type) {
    case "filter":
      rejectUnknownKeys(t, [
        "type",
        "include_sensors",
        "exclude_sensors",
        "include_metrics",
        "exclude_metrics",
        "tags",
      ], field);
      return {
        type: "filter",
        include_sensors: readStrings(t.include_sensors, `${field}.include_sensors`),
        exclude_sensors: readStrings(t.exclude_sensors, `${field}.exclude_sensors`),
        include_metrics: readStrings(t.include_metrics, `${field}.include_metrics`),
        exclude_metrics: readStrings(t.exclude_metrics, `${field}.exclude_metrics`),
        tags: readStringMap(t.tags, `${field}.tags`),
      };
    case "deadband":
      rejectUnknownKeys(
        t,
        ["type", "metrics", "delta", "percent", "max_interval_s", "max_series"],
        field,
      );
      if (t.delta === undefined) {
        throw new ConfigError(`${field}.delta`, undefined, "a number >= 0");
      }
      return {
        type: "deadband",
        metrics: readStrings(t.metrics, `${field}.metrics`),
        delta: readNumber(t.delta, `${field}.delta`, 0, { min: 0 }),
        percent: readBool(t.percent, `${field}.percent`, false),
        max_interval_s: readInt(t.max_interval_s, `${field}.max_interval_s`, 300, { min: 0 }),
        max_series: readInt(t.max_series, `${field}.max_series`, 100_000, { min: 1 }),
      };
    case "enrich": {
      rejectUnknownKeys(t, ["type", "tags", "sensor_tags", "units", "overwrite"], field);
      const sensorTags: Record<string, Record<string, string>> = {};
      const rawSensorTags = t.sensor_tags === undefined
        ? {}
        : readTable(t.sensor_tags, `${field}.sensor_tags`);
      for (const [sensor, tags] of Object.entries(rawSensorTags)) {
        sensorTags[sensor] = readStringMap(tags, `${field}.sensor_tags.${sensor}`);
      }
      return {
        type: "enrich",
        tags: readStringMap(t.tags, `${field}.tags`),
        sensor_tags: sensorTags,
        units: readStringMap(t.units, `${field}.units`),
        overwrite: readBool(t.overwrite, `${field}.overwrite`, false),
      };
    }
    case "range": {
      rejectUnknownKeys(t, ["type", "metrics", "min", "max"], field);
      const config: RangeConfig = {
        type: "range",
        metrics: readStrings(t.metrics, `${field}.metrics`),
      };
      if (t.min !== undefined) {
        config.min = readNumber(t.min, `${field}.min`, 0, { min: -Infinity });
      }
      if (t.max !== undefined) {
        config.max = readNumber(t.max, `${field}.max`, 0, { min: -Infinity });
      }
      if (config.min === undefined && config.max === undefined) {
        throw new ConfigError(`${field}.min`, undefined, "min, max or both");
      }
      if (config.min !== undefined && config.max !== undefined && config.min > config.max) {
        throw new ConfigError(`${field}.max`, config.max, `a number >= min (${config.min})`);
      }
      return config;
    }
    default:
      throw new ConfigError(
        `${field}.type`,
        t.type,
        `one of ${PROCESSOR_TYPES.map((p) => `"${p}"`).join(", ")}`,
      );
  }
}

/**
 * Validates a `processors` list (`undefined` = none).
 *
 * @throws {ConfigError} naming e.g. `inputs[0].processors[1].delta`.
 */
export function readProcessors(raw: unknown, field: string): ProcessorConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ConfigError(field, raw, "a list of processor tables");
  return raw.map((entry, i) => readOne(entry, `${field}[${i}]`));
}

/** Builds the steps of `configs`, in order. */
export function createProcessors(configs: readonly ProcessorConfig[]): Processor[] {
  return configs.map((c) => {
    switch (c.type) {
      case "filter":
        return createFilter(c);
      case "deadband":
        return createDeadband(c);
      case "enrich":
        return createEnrich(c);
      case "range":
        return createRange(c);
    }
  });
}
