/**
 * The `websocket` input's options, their defaults and their validation.
 * Every option is documented in README.md beside this file; sample.toml holds
 * the defaults (a test checks they match).
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import {
  readChoice,
  readInt,
  readString,
  readTable,
  rejectUnknownKeys,
  type Table,
} from "@tributary/shared/config/fields";
import { compilePath } from "./paths.ts";
import { readSkewWindow } from "../processors/skew.ts";

/** Units a numeric timestamp field can be in. */
export const TS_UNITS = ["s", "ms", "us", "ns"] as const;
/** One timestamp unit. */
export type TsUnit = typeof TS_UNITS[number];

/** Field paths of a trade message (dotted, e.g. `data.price` or `c.0`). */
export interface TradeFields {
  symbol: string;
  price: string;
  size: string;
  /** "" = none (0). */
  exchange: string;
  /** "" = none ([]). */
  conditions: string;
  /** "" = none (""). */
  trade_id: string;
  ts: string;
}

/** Field paths of a quote message. */
export interface QuoteFields {
  symbol: string;
  bid_price: string;
  bid_size: string;
  ask_price: string;
  ask_size: string;
  /** "" = none (0). */
  bid_exchange: string;
  /** "" = none (0). */
  ask_exchange: string;
  ts: string;
}

/** How JSON messages map to trades and quotes. Defaults: Polygon's stocks WebSocket. */
export interface MappingConfig {
  /** Path of the field that tells a trade from a quote. @default "ev" */
  type_path: string;
  /** Value of `type_path` for trades. @default "T" */
  trade_type: string;
  /** Value of `type_path` for quotes. @default "Q" */
  quote_type: string;
  /** Unit of numeric `ts` fields. @default "ms" */
  ts_unit: TsUnit;
  /** Path of the sequence number; "" = no gap detection. @default "q" */
  sequence_path: string;
  /** Sequence numbers count per symbol or over the whole stream. @default "symbol" */
  sequence_scope: "symbol" | "stream";
  trade: TradeFields;
  quote: QuoteFields;
}

/** Config of a `websocket` input. */
export interface WebSocketConfig {
  /** Feed URL (`ws://` or `wss://`). Required. */
  url: string;
  /**
   * Text messages sent in order after every (re)connect, e.g. an auth then a
   * subscribe. `${NAME}` is replaced by env variable NAME (for secrets).
   * @default []
   */
  subscribe: string[];
  mapping: MappingConfig;
  /** First reconnect wait cap, ms (exponential backoff with full jitter). @default 500 */
  reconnect_initial_ms: number;
  /** Largest reconnect wait, ms. @default 30000 */
  reconnect_max_ms: number;
  /** Reconnect when the handshake or the next message takes longer than this, s; 0 = never. @default 60 */
  idle_timeout_s: number;
  /** Rows per buffer write. @default 1000 */
  batch_rows: number;
  /** Longest wait before buffered rows are written, ms. @default 100 */
  flush_ms: number;
  /** Rows held while the buffer is full; beyond, new rows are rejected `backlog_full`. @default 100000 */
  max_pending_rows: number;
  /** Largest message, bytes; larger ones are rejected `too_large`. @default 1048576 */
  max_message_bytes: number;
  /** Rows more than this many seconds ahead of the agent clock are `clock_skew`; 0 = no limit. @default 300 */
  max_future_s: number;
  /** Rows more than this many seconds old are `clock_skew`; 0 = no limit. @default 604800 */
  max_past_s: number;
}

/** The defaults of {@linkcode WebSocketConfig} (`url` must be given). */
export function defaultWebSocketConfig(): WebSocketConfig {
  return {
    url: "",
    subscribe: [],
    mapping: {
      type_path: "ev",
      trade_type: "T",
      quote_type: "Q",
      ts_unit: "ms",
      sequence_path: "q",
      sequence_scope: "symbol",
      trade: {
        symbol: "sym",
        price: "p",
        size: "s",
        exchange: "x",
        conditions: "c",
        trade_id: "i",
        ts: "t",
      },
      quote: {
        symbol: "sym",
        bid_price: "bp",
        bid_size: "bs",
        ask_price: "ap",
        ask_size: "as",
        bid_exchange: "bx",
        ask_exchange: "ax",
        ts: "t",
      },
    },
    reconnect_initial_ms: 500,
    reconnect_max_ms: 30_000,
    idle_timeout_s: 60,
    batch_rows: 1000,
    flush_ms: 100,
    max_pending_rows: 100_000,
    max_message_bytes: 1_048_576,
    max_future_s: 300,
    max_past_s: 604_800,
  };
}

const KEYS = [
  "type",
  "url",
  "subscribe",
  "mapping",
  "reconnect_initial_ms",
  "reconnect_max_ms",
  "idle_timeout_s",
  "batch_rows",
  "flush_ms",
  "max_pending_rows",
  "max_message_bytes",
  "max_future_s",
  "max_past_s",
];

/**
 * Validates an untrusted `[[inputs]]` table of type `websocket`.
 *
 * @throws {ConfigError} naming the field, the value and what is allowed.
 */
export function validateWebSocketConfig(raw: unknown, field: string): WebSocketConfig {
  const table = readTable(raw, field);
  rejectUnknownKeys(table, KEYS, field);
  const d = defaultWebSocketConfig();
  const url = readString(table.url, `${field}.url`, "");
  if (!/^wss?:\/\/[^/\s]+/.test(url)) {
    throw new ConfigError(
      `${field}.url`,
      table.url,
      'a WebSocket URL "ws://host[:port]/path" or "wss://..."',
    );
  }
  const subscribe = table.subscribe === undefined ? d.subscribe : table.subscribe;
  if (!Array.isArray(subscribe) || subscribe.some((m) => typeof m !== "string" || m === "")) {
    throw new ConfigError(`${field}.subscribe`, table.subscribe, "a list of non-empty strings");
  }
  const ms = (key: string, fallback: number, min: number, max: number) =>
    readInt(table[key], `${field}.${key}`, fallback, { min, max });
  const config: WebSocketConfig = {
    url,
    subscribe: subscribe as string[],
    mapping: readMapping(table.mapping, `${field}.mapping`, d.mapping),
    reconnect_initial_ms: ms("reconnect_initial_ms", d.reconnect_initial_ms, 1, 600_000),
    reconnect_max_ms: ms("reconnect_max_ms", d.reconnect_max_ms, 1, 3_600_000),
    idle_timeout_s: ms("idle_timeout_s", d.idle_timeout_s, 0, 86_400),
    batch_rows: ms("batch_rows", d.batch_rows, 1, 1_000_000),
    flush_ms: ms("flush_ms", d.flush_ms, 1, 60_000),
    max_pending_rows: ms("max_pending_rows", d.max_pending_rows, 1, 100_000_000),
    max_message_bytes: ms("max_message_bytes", d.max_message_bytes, 64, 64 * 1024 * 1024),
    ...readSkewWindow(table, field, d),
  };
  if (config.reconnect_max_ms < config.reconnect_initial_ms) {
    throw new ConfigError(
      `${field}.reconnect_max_ms`,
      config.reconnect_max_ms,
      `at least reconnect_initial_ms (${config.reconnect_initial_ms})`,
    );
  }
  return config;
}

function readMapping(raw: unknown, field: string, d: MappingConfig): MappingConfig {
  const table = readTable(raw, field);
  rejectUnknownKeys(
    table,
    [
      "type_path",
      "trade_type",
      "quote_type",
      "ts_unit",
      "sequence_path",
      "sequence_scope",
      "trade",
      "quote",
    ],
    field,
  );
  return {
    type_path: readPath(table.type_path, `${field}.type_path`, d.type_path, false),
    trade_type: readString(table.trade_type, `${field}.trade_type`, d.trade_type, {
      nonEmpty: true,
    }),
    quote_type: readString(table.quote_type, `${field}.quote_type`, d.quote_type, {
      nonEmpty: true,
    }),
    ts_unit: readChoice(table.ts_unit, `${field}.ts_unit`, d.ts_unit, TS_UNITS),
    sequence_path: readPath(table.sequence_path, `${field}.sequence_path`, d.sequence_path, true),
    sequence_scope: readChoice(table.sequence_scope, `${field}.sequence_scope`, d.sequence_scope, [
      "symbol",
      "stream",
    ]),
    trade: readFields(table.trade, `${field}.trade`, d.trade, [
      "exchange",
      "conditions",
      "trade_id",
    ]),
    quote: readFields(table.quote, `${field}.quote`, d.quote, ["bid_exchange", "ask_exchange"]),
  };
}

function readFields<T extends object>(raw: unknown, field: string, d: T, optional: string[]): T {
  const table: Table = readTable(raw, field);
  const defaults = d as Record<string, string>;
  rejectUnknownKeys(table, Object.keys(defaults), field);
  const out: Record<string, string> = {};
  for (const key of Object.keys(defaults)) {
    out[key] = readPath(table[key], `${field}.${key}`, defaults[key]!, optional.includes(key));
  }
  return out as T;
}

function readPath(value: unknown, field: string, fallback: string, optional: boolean): string {
  const path = readString(value, field, fallback, { nonEmpty: !optional });
  if (path !== "" && compilePath(path) === undefined) {
    throw new ConfigError(field, value, 'a dotted field path such as "data.price" or "c.0"');
  }
  return path;
}
