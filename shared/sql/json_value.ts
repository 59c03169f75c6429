/**
 * DuckDB values as JSON, losing no precision that JSON can carry:
 * timestamps as ISO-8601 with nanoseconds, 64/128-bit integers as numbers
 * only while exact, BLOBs as base64.
 *
 * @module
 */
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  type DuckDBDataChunk,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  DuckDBUnionValue,
  type DuckDBValue,
} from "@duckdb/node-api";
import { isoFromNs } from "../iso_time.ts";

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Converts one DuckDB value to JSON.
 *
 * | DuckDB                         | JSON                                                  |
 * |--------------------------------|-------------------------------------------------------|
 * | TIMESTAMP, _S, _MS, _NS, _TZ   | `"2024-05-01T12:00:00.123456789Z"` (9 digits, UTC)    |
 * | BIGINT, HUGEINT, UBIGINT, ...  | number when within ±2^53-1, else decimal string       |
 * | DOUBLE, FLOAT                  | number; NaN and ±Infinity as strings                  |
 * | DECIMAL                        | number                                                |
 * | BLOB                           | base64 string                                         |
 * | LIST, ARRAY                    | array                                                 |
 * | STRUCT                         | object                                                |
 * | MAP                            | object (non-string keys as their JSON text)           |
 * | UNION                          | the value of its member                               |
 * | others (DATE, TIME, UUID, ...) | DuckDB's text form                                    |
 *
 * Infinite timestamps come out as `"infinity"` / `"-infinity"`.
 */
export function toJson(value: DuckDBValue): Json {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") {
    return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value.toString();
  }
  if (value instanceof DuckDBTimestampNanosecondsValue) return iso(value.nanos, value);
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return iso(value.micros * 1000n, value);
  }
  if (value instanceof DuckDBTimestampMillisecondsValue) {
    return iso(value.millis * 1_000_000n, value);
  }
  if (value instanceof DuckDBTimestampSecondsValue) {
    return iso(value.seconds * 1_000_000_000n, value);
  }
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBBlobValue) return base64(value.bytes);
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) {
    return value.items.map(toJson);
  }
  if (value instanceof DuckDBStructValue) {
    const out: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value.entries)) out[key] = toJson(item);
    return out;
  }
  if (value instanceof DuckDBMapValue) {
    const out: { [key: string]: Json } = {};
    for (const { key, value: item } of value.entries) {
      const k = toJson(key);
      out[typeof k === "string" ? k : JSON.stringify(k)] = toJson(item);
    }
    return out;
  }
  if (value instanceof DuckDBUnionValue) return toJson(value.value);
  return value.toString();
}

/** Converts the values of one column, faster than {@linkcode toJson} for its type, same output. */
export type JsonConverter = (value: DuckDBValue) => Json;

/**
 * A converter for values of `type`, with the same output as {@linkcode toJson}.
 * Text passes through; timestamps reuse the ISO text of the second before (rows
 * of one result are mostly close in time), which makes them several times cheaper.
 */
export function jsonConverter(type: DuckDBType): JsonConverter {
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return (value) => typeof value === "string" || value === null ? value : toJson(value);
    case DuckDBTypeId.TIMESTAMP_NS: {
      const iso = cachedIso();
      return (value) =>
        value instanceof DuckDBTimestampNanosecondsValue && value.isFinite
          ? iso(value.nanos) ?? toJson(value)
          : toJson(value);
    }
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ: {
      const iso = cachedIso();
      return (value) =>
        (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) &&
          value.isFinite
          ? iso(value.micros * 1000n) ?? toJson(value)
          : toJson(value);
    }
    default:
      return toJson;
  }
}

/**
 * The rows of `chunk` as JSON, converted column by column (`getColumnValues` is
 * several times faster than `getRows`); `converters` from {@linkcode jsonConverter}.
 */
export function chunkToJsonRows(chunk: DuckDBDataChunk, converters: JsonConverter[]): Json[][] {
  const rows: Json[][] = Array.from({ length: chunk.rowCount }, () => new Array(converters.length));
  for (let c = 0; c < converters.length; c++) {
    const convert = converters[c]!;
    const values = chunk.getColumnValues(c);
    for (let r = 0; r < rows.length; r++) rows[r]![c] = convert(values[r]!);
  }
  return rows;
}

const NS_PER_SECOND = 1_000_000_000n;

/** isoFromNs with a one-second cache of the date part; undefined where Date cannot go. */
function cachedIso(): (ns: bigint) => string | undefined {
  let lastSecond: bigint | undefined;
  let prefix = "";
  return (ns) => {
    let seconds = ns / NS_PER_SECOND;
    if (ns < 0n && seconds * NS_PER_SECOND !== ns) seconds -= 1n;
    if (seconds !== lastSecond) {
      const date = new Date(Number(seconds) * 1000);
      if (Number.isNaN(date.getTime())) return undefined;
      prefix = date.toISOString().replace(/\.\d{3}Z$/, "");
      lastSecond = seconds;
    }
    return `${prefix}.${(ns - seconds * NS_PER_SECOND).toString().padStart(9, "0")}Z`;
  };
}

/** ISO text of a timestamp; DuckDB's own text for infinities and years JavaScript dates cannot hold. */
function iso(ns: bigint, value: { isFinite: boolean; toString(): string }): string {
  if (!value.isFinite) return value.toString();
  try {
    return isoFromNs(ns);
  } catch {
    return value.toString();
  }
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  // Chunked so String.fromCharCode never gets more arguments than the engine allows.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
