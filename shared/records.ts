/**
 * The four record kinds Tributary moves, and the one column list per kind that
 * drives every representation of them: the Arrow body on the wire, the agent's
 * DuckDB buffer tables and the hub's tables.
 *
 * Keeping a single list is what lets a column be added in one place.
 *
 * @module
 */

/** Every record kind, in a stable order. A kind is also the name of its stream. */
export const KINDS = ["readings", "logs", "trades", "quotes"] as const;

/** One record kind: `readings`, `logs`, `trades` or `quotes`. */
export type Kind = typeof KINDS[number];

/** True when `value` names a record kind. */
export function isKind(value: unknown): value is Kind {
  return typeof value === "string" && (KINDS as readonly string[]).includes(value);
}

/**
 * The logical type of a column.
 *
 * | type      | TypeScript   | Arrow            | DuckDB (hub)   |
 * |-----------|--------------|------------------|----------------|
 * | `ts_ns`   | bigint       | Int64            | TIMESTAMP_NS   |
 * | `i64`     | bigint       | Int64            | BIGINT         |
 * | `i32`     | number       | Int32            | INTEGER        |
 * | `f64`     | number       | Float64          | DOUBLE         |
 * | `utf8`    | string       | Utf8             | VARCHAR        |
 * | `json`    | string       | Utf8             | JSON           |
 * | `i32_list`| number[]     | List<Int32>      | INTEGER[]      |
 *
 * No column is nullable in wire format v1: absent text is `""`, absent JSON is `"{}"`,
 * absent lists are `[]`.
 */
export type ColumnType = "ts_ns" | "i64" | "i32" | "f64" | "utf8" | "json" | "i32_list";

/** One column of a record kind. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly doc: string;
}

/**
 * Columns every kind starts with, in the body of a batch.
 * `seq` is the per-(agent, stream) sequence number the agent's buffer assigned.
 */
const COMMON_COLUMNS: readonly ColumnSpec[] = [
  { name: "seq", type: "i64", doc: "per-(agent, stream) sequence number, assigned by the buffer" },
  { name: "ts", type: "ts_ns", doc: "event time, ns since the epoch, UTC" },
  { name: "recv_ts", type: "ts_ns", doc: "time the agent received the record, ns since the epoch" },
];

/** Kind-specific columns, after {@linkcode COMMON_COLUMNS}. */
const KIND_COLUMNS: Readonly<Record<Kind, readonly ColumnSpec[]>> = {
  readings: [
    { name: "sensor", type: "utf8", doc: "sensor id, unique per agent" },
    { name: "metric", type: "utf8", doc: "what is measured, e.g. temperature" },
    { name: "value", type: "f64", doc: "the reading" },
    { name: "unit", type: "utf8", doc: "unit of value, e.g. degC; '' if unknown" },
    { name: "tags", type: "json", doc: "JSON object of string tags; '{}' if none" },
  ],
  logs: [
    { name: "source", type: "utf8", doc: "where the line came from, e.g. a file or program" },
    { name: "level", type: "utf8", doc: "trace, debug, info, warn, error or fatal" },
    { name: "message", type: "utf8", doc: "the log message" },
    { name: "fields", type: "json", doc: "JSON object of structured fields; '{}' if none" },
  ],
  trades: [
    { name: "symbol", type: "utf8", doc: "ticker, e.g. AAPL" },
    { name: "price", type: "f64", doc: "trade price" },
    { name: "size", type: "f64", doc: "trade size (shares or units)" },
    { name: "exchange", type: "i32", doc: "exchange id (Polygon numbering)" },
    { name: "conditions", type: "i32_list", doc: "trade condition codes" },
    { name: "trade_id", type: "utf8", doc: "exchange trade id; '' if none" },
  ],
  quotes: [
    { name: "symbol", type: "utf8", doc: "ticker, e.g. AAPL" },
    { name: "bid_price", type: "f64", doc: "best bid price" },
    { name: "bid_size", type: "f64", doc: "best bid size" },
    { name: "ask_price", type: "f64", doc: "best ask price" },
    { name: "ask_size", type: "f64", doc: "best ask size" },
    { name: "bid_exchange", type: "i32", doc: "exchange id of the bid" },
    { name: "ask_exchange", type: "i32", doc: "exchange id of the ask" },
  ],
};

/** The columns of a batch body for `kind`, in wire order. */
export function bodyColumns(kind: Kind): readonly ColumnSpec[] {
  return [...COMMON_COLUMNS, ...KIND_COLUMNS[kind]];
}

/** The kind-specific columns of `kind` (without seq, ts, recv_ts). */
export function kindColumns(kind: Kind): readonly ColumnSpec[] {
  return KIND_COLUMNS[kind];
}

/** A sensor reading, as an input produces it. */
export interface Reading {
  ts: bigint;
  recv_ts: bigint;
  sensor: string;
  metric: string;
  value: number;
  unit: string;
  /** JSON object text, `"{}"` if none. */
  tags: string;
}

/** A log line, as an input produces it. */
export interface LogLine {
  ts: bigint;
  recv_ts: bigint;
  source: string;
  level: LogLevel;
  message: string;
  /** JSON object text, `"{}"` if none. */
  fields: string;
}

/** Log levels, least to most severe. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
/** One log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** A trade print. */
export interface Trade {
  ts: bigint;
  recv_ts: bigint;
  symbol: string;
  price: number;
  size: number;
  exchange: number;
  conditions: number[];
  trade_id: string;
}

/** A top-of-book quote. */
export interface Quote {
  ts: bigint;
  recv_ts: bigint;
  symbol: string;
  bid_price: number;
  bid_size: number;
  ask_price: number;
  ask_size: number;
  bid_exchange: number;
  ask_exchange: number;
}

/** The row type of each kind. */
export interface RowOf {
  readings: Reading;
  logs: LogLine;
  trades: Trade;
  quotes: Quote;
}

/** Values of one column, in the in-memory form used by encoder, decoder and stores. */
export type ColumnValues =
  | BigInt64Array // ts_ns, i64
  | Int32Array // i32
  | Float64Array // f64
  | string[] // utf8, json
  | Int32Array[]; // i32_list

/** Rows of one kind, column by column, keyed by column name. */
export type Columns = Record<string, ColumnValues>;

/**
 * A batch: the unit shipped from an agent to the hub, and the idempotency key
 * (agent, stream, firstSeq, lastSeq). `columns` holds every column of
 * {@linkcode bodyColumns}(stream), each of length `rowCount`.
 * Sequence numbers inside are ascending and lie within [firstSeq, lastSeq];
 * they may have gaps (rows dropped by a buffer policy).
 */
export interface Batch {
  agent: string;
  stream: Kind;
  firstSeq: bigint;
  lastSeq: bigint;
  rowCount: number;
  columns: Columns;
}

/**
 * Nanoseconds since the epoch, now (UTC). Precision is that of
 * `performance.timeOrigin + performance.now()`, microseconds or better under Deno.
 */
export function nowNs(): bigint {
  const micros = Math.round((performance.timeOrigin + performance.now()) * 1000);
  return BigInt(micros) * 1000n;
}
