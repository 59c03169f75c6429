/**
 * Config of the `http` input: defaults and validation. Every option is
 * documented in README.md beside this file; sample.toml holds the defaults.
 *
 * @module
 */
import {
  type ListenAddress,
  readChoice,
  readInt,
  readListen,
  readString,
  readTable,
  rejectUnknownKeys,
} from "@tributary/shared/config/fields";
import { readSkewWindow, type SkewWindow } from "../processors/skew.ts";
import { PRECISIONS } from "./line_protocol.ts";

/** Timestamp precisions accepted in config (`precision` query values). */
export const PRECISION_NAMES = Object.keys(PRECISIONS) as readonly string[];

/** Config of an `http` input. */
export interface HttpInputConfig extends SkewWindow {
  /** `host:port` to listen on; port 0 picks a free one. @default "127.0.0.1:8186" */
  listen: string;
  /** `listen`, parsed. */
  address: ListenAddress;
  /** Largest request body, after gzip decompression, in bytes (larger: 413). @default 26214400 */
  max_body_bytes: number;
  /** Longest line (line protocol or NDJSON), in bytes. @default 65536 */
  max_line_bytes: number;
  /** A tag whose value names the sensor instead of the series key; "" = none. @default "" */
  sensor_tag: string;
  /** When set, the `db` (v1) or `bucket` (v2) query value is added as a tag of this name. @default "" */
  db_tag: string;
  /** Precision of numeric `ts` in JSON records (`/readings`). @default "ms" */
  json_precision: string;
  /**
   * Requests whose bodies are read and written at once; more wait (unread, so
   * TCP slows their senders). Bounds memory to about this × max_body_bytes × a few.
   * @default 4
   */
  max_inflight_requests: number;
}

/** The `http` input's options, for unknown-key errors. */
export const HTTP_OPTIONS = [
  "type",
  "listen",
  "max_body_bytes",
  "max_line_bytes",
  "sensor_tag",
  "db_tag",
  "json_precision",
  "max_inflight_requests",
  "max_future_s",
  "max_past_s",
] as const;

/** The defaults. */
export function defaultHttpInputConfig(): HttpInputConfig {
  return {
    listen: "127.0.0.1:8186",
    address: { hostname: "127.0.0.1", port: 8186 },
    max_body_bytes: 26_214_400,
    max_line_bytes: 65_536,
    sensor_tag: "",
    db_tag: "",
    json_precision: "ms",
    max_inflight_requests: 4,
    max_future_s: 300,
    max_past_s: 604_800,
  };
}

/**
 * Validates an `[[inputs]]` table of type `http`.
 *
 * @throws {ConfigError} naming the field, the value and what is allowed.
 */
export function validateHttpInputConfig(raw: unknown, field: string): HttpInputConfig {
  const table = readTable(raw, field);
  rejectUnknownKeys(table, HTTP_OPTIONS, field);
  const d = defaultHttpInputConfig();
  const address = readListen(table.listen, `${field}.listen`, d.listen);
  const maxBody = readInt(table.max_body_bytes, `${field}.max_body_bytes`, d.max_body_bytes, {
    min: 1024,
    max: 1024 ** 3,
  });
  return {
    listen: typeof table.listen === "string" ? table.listen : d.listen,
    address,
    max_body_bytes: maxBody,
    max_line_bytes: readInt(table.max_line_bytes, `${field}.max_line_bytes`, d.max_line_bytes, {
      min: 64,
      max: maxBody,
    }),
    sensor_tag: readString(table.sensor_tag, `${field}.sensor_tag`, d.sensor_tag),
    db_tag: readString(table.db_tag, `${field}.db_tag`, d.db_tag),
    json_precision: readChoice(
      table.json_precision,
      `${field}.json_precision`,
      d.json_precision,
      PRECISION_NAMES,
    ),
    max_inflight_requests: readInt(
      table.max_inflight_requests,
      `${field}.max_inflight_requests`,
      d.max_inflight_requests,
      { min: 1, max: 1024 },
    ),
    ...readSkewWindow(table, field),
  };
}
