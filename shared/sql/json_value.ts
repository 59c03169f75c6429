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
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
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
