/**
 * JSON records → readings, for the http input's `/readings` endpoint (a JSON
 * array, one object, or NDJSON) and for JSON MQTT payloads.
 *
 * One object gives one or more readings:
 * - explicit: `{"sensor": "t1", "metric": "temperature", "value": 21.5,
 *   "unit": "degC", "tags": {"site": "a"}, "ts": 1700000000000}`;
 * - several metrics: `{"sensor": "t1", "fields": {"temperature": 21.5, "humidity": 40}}`;
 * - flat (device style): `{"temperature": 21.5, "humidity": 40}`: every
 *   numeric or boolean top-level key but the reserved ones
 *   (`sensor metric value unit tags fields ts time timestamp`) is a metric.
 *
 * `sensor`, `metric`, `unit` and `tags` missing from the object come from the
 * defaults (e.g. taken from the MQTT topic). `ts`, `time` or `timestamp` is an
 * integer in the configured precision (a number or a string of digits: JSON
 * numbers lose precision beyond 2^53, so prefer strings or ms for ns), or an
 * RFC 3339 string; absent means the receive time. Booleans become 1/0; other
 * non-numeric fields are counted as `stringFields`, not turned into readings.
 *
 * @module
 */
import type { Reading } from "@tributary/shared/records";
import type { SkewCheck } from "../processors/skew.ts";
import { inInt64Range } from "./body.ts";

/** What the object does not say itself. */
export interface JsonDefaults {
  sensor?: string;
  metric?: string;
  unit?: string;
  tags?: Readonly<Record<string, string>>;
}

/** Options of {@linkcode jsonToReadings}. */
export interface JsonOptions {
  /** ns per unit of numeric timestamps. */
  precisionNs: bigint;
  /** Receive time (ns); the event time when the object has none. */
  recvTs: bigint;
  /**
   * The clock-skew rule: an event time outside it (or outside the buffer's
   * signed 64-bit ns range) gives reason `clock_skew`. Absent: not checked.
   */
  skew?: SkewCheck;
}

/** The readings of one object, or why it has none. */
export type JsonResult =
  | { ok: true; readings: Reading[]; ts: bigint; stringFields: number }
  | { ok: false; reason: string; message: string };

const RESERVED = new Set([
  "sensor",
  "metric",
  "value",
  "unit",
  "tags",
  "fields",
  "ts",
  "time",
  "timestamp",
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function numeric(value: unknown): number | undefined {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  return undefined;
}

/** Maps one decoded JSON value to readings; see the module doc. */
export function jsonToReadings(
  value: unknown,
  defaults: JsonDefaults,
  options: JsonOptions,
): JsonResult {
  const bad = (message: string): JsonResult => ({ ok: false, reason: "bad_record", message });
  if (!isObject(value)) return bad("not a JSON object");
  const text = (key: string, fallback: string | undefined): string | undefined | null => {
    const v = value[key];
    if (v === undefined) return fallback;
    return typeof v === "string" && v.length > 0 ? v : null;
  };
  const sensor = text("sensor", defaults.sensor);
  if (sensor === null) return bad(`"sensor" must be a non-empty string`);
  if (sensor === undefined) return bad(`no "sensor" (in the record or from the topic)`);
  const unit = text("unit", defaults.unit ?? "");
  if (unit === null && value.unit !== "") return bad(`"unit" must be a string`);

  const tags: Record<string, string> = { ...defaults.tags };
  if (value.tags !== undefined) {
    if (!isObject(value.tags)) return bad(`"tags" must be an object of strings`);
    for (const [k, v] of Object.entries(value.tags)) {
      if (typeof v !== "string") return bad(`tag "${k}" must be a string`);
      tags[k] = v;
    }
  }

  const ts = readTs(value.ts ?? value.time ?? value.timestamp, options);
  if (typeof ts === "string") return bad(ts);

  const metrics: [string, number][] = [];
  let stringFields = 0;
  if (value.value !== undefined) {
    const metric = text("metric", defaults.metric);
    if (!metric) return bad(`no "metric" for "value" (in the record or from the topic)`);
    const v = numeric(value.value);
    if (v === undefined) return bad(`"value" must be a finite number or a boolean`);
    metrics.push([metric, v]);
  } else {
    let source: Record<string, unknown>;
    if (value.fields !== undefined) {
      if (!isObject(value.fields)) return bad(`"fields" must be an object`);
      source = value.fields;
    } else {
      source = Object.fromEntries(Object.entries(value).filter(([k]) => !RESERVED.has(k)));
    }
    for (const [k, raw] of Object.entries(source)) {
      const v = numeric(raw);
      if (v === undefined) stringFields++;
      else metrics.push([k, v]);
    }
  }
  if (metrics.length === 0) {
    return { ok: false, reason: "no_numeric_field", message: "no numeric value" };
  }
  if (options.skew && (!inInt64Range(ts) || options.skew.skewed(ts, options.recvTs))) {
    return {
      ok: false,
      reason: "clock_skew",
      message: `timestamp ${ts} ns is outside the accepted window`,
    };
  }
  const tagsJson = JSON.stringify(tags);
  const readings = metrics.map(([metric, v]): Reading => ({
    ts,
    recv_ts: options.recvTs,
    sensor,
    metric,
    value: v,
    unit: unit ?? "",
    tags: tagsJson,
  }));
  return { ok: true, readings, ts, stringFields };
}

/** The event time in ns, or an error message. */
function readTs(raw: unknown, options: JsonOptions): bigint | string {
  if (raw === undefined) return options.recvTs;
  if (typeof raw === "number") {
    if (!Number.isSafeInteger(raw)) return `"ts" must be an integer (got ${raw})`;
    return BigInt(raw) * options.precisionNs;
  }
  if (typeof raw === "string") {
    if (/^-?\d{1,20}$/.test(raw)) return BigInt(raw) * options.precisionNs;
    const ms = Date.parse(raw);
    if (/^\d{4}-\d{2}-\d{2}T/.test(raw) && Number.isFinite(ms)) {
      // Keep sub-millisecond digits that Date.parse drops.
      const frac = /\.(\d+)/.exec(raw)?.[1] ?? "";
      const subMs = frac.length > 3 ? BigInt(frac.slice(3, 9).padEnd(6, "0")) : 0n;
      return BigInt(ms) * 1_000_000n + subMs;
    }
  }
  return `"ts" must be an integer, a string of digits or an RFC 3339 time`;
}
