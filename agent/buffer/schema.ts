/**
 * The buffer's DuckDB schema, derived from the shared column list so that a
 * column added in `records.ts` reaches the buffer without an edit here.
 *
 * Timestamps are stored as BIGINT nanoseconds (no conversion on the hot path),
 * JSON as VARCHAR (validated on append), lists as INTEGER[].
 *
 * @module
 */
import { BIGINT, DOUBLE, type DuckDBType, INTEGER, LIST, VARCHAR } from "@duckdb/node-api";
import { bodyColumns, type ColumnType, type Kind, KINDS } from "@tributary/shared/records";
import { CHECKPOINT_TABLE_SQL } from "./checkpoints.ts";
import { QUARANTINE_TABLE_SQL } from "./quarantine.ts";

/**
 * Name of the buffer's view of `kind`, e.g. `buffer_readings`: all its
 * segment tables as one (segments.ts); a table in files from before segments.
 */
export function bufferTable(kind: Kind): string {
  return `buffer_${kind}`;
}

/** The SQL type a column of `type` is stored as in the buffer. */
export function bufferSqlType(type: ColumnType): string {
  switch (type) {
    case "ts_ns":
    case "i64":
      return "BIGINT";
    case "i32":
      return "INTEGER";
    case "f64":
      return "DOUBLE";
    case "utf8":
    case "json":
      return "VARCHAR";
    case "i32_list":
      return "INTEGER[]";
  }
}

/** The DuckDB type object of a column of `type`, for building data chunks. */
export function bufferDuckDBType(type: ColumnType): DuckDBType {
  switch (type) {
    case "ts_ns":
    case "i64":
      return BIGINT;
    case "i32":
      return INTEGER;
    case "f64":
      return DOUBLE;
    case "utf8":
    case "json":
      return VARCHAR;
    case "i32_list":
      return LIST(INTEGER);
  }
}

/** Quotes an identifier for DuckDB (column names such as `value` or `size`). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * `CREATE TABLE IF NOT EXISTS` for a buffer table of `kind` (a segment, see
 * segments.ts): `seq` first, then the body columns.
 */
export function createBufferTableSql(kind: Kind, table: string): string {
  const columns = bodyColumns(kind).map((c) =>
    `${quoteIdent(c.name)} ${bufferSqlType(c.type)} NOT NULL`
  );
  return `CREATE TABLE IF NOT EXISTS ${table} (${columns.join(", ")})`;
}

/** `CREATE TABLE` of the segment list (see segments.ts); idempotent. */
export const SEGMENTS_TABLE_SQL =
  `CREATE TABLE IF NOT EXISTS buffer_segments (stream VARCHAR NOT NULL, ` +
  `segment INTEGER NOT NULL, first_seq BIGINT NOT NULL, PRIMARY KEY (stream, segment))`;

/**
 * Every statement that brings a new or older buffer file up to date; all are
 * idempotent so they run at every open. The buffered rows' own tables are
 * made by segments.ts (`SegmentLayout.load`), after these.
 *
 * - `buffer_segments`: the segment tables of each stream (see segments.ts).
 * - `streams`: the next sequence number to assign, the rows acknowledged so
 *   far, and the backlog's row count and approximate bytes. The backlog totals
 *   change in the same transaction as the rows, so opening a large buffer
 *   reads four numbers instead of measuring every row (which pulled the whole
 *   file through DuckDB's cache: ~1 GiB RSS for a 1 GiB backlog). A file
 *   from before they existed has NULL there, measured once at open.
 * - `pending_batches`: seq ranges handed to the transport and not yet
 *   acknowledged. After a failure or a restart they are resent with exactly the
 *   same bounds, so the hub's (agent, stream, first_seq, last_seq) dedup key
 *   recognises a batch it already committed.
 * - `input_checkpoints`: each input's source position (see checkpoints.ts).
 * - `quarantine`: rows an input's processors refused, never shipped (see quarantine.ts).
 * - `stream_drops`: rows dropped by the buffer budget or the shipper, per
 *   stream and reason, so the counts survive a restart (see budget.ts).
 */
export function schemaStatements(): string[] {
  return [
    SEGMENTS_TABLE_SQL,
    `CREATE TABLE IF NOT EXISTS streams (stream VARCHAR PRIMARY KEY, next_seq BIGINT NOT NULL, acked_rows BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS pending_batches (stream VARCHAR NOT NULL, first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL)`,
    `ALTER TABLE streams ADD COLUMN IF NOT EXISTS backlog_rows BIGINT`,
    `ALTER TABLE streams ADD COLUMN IF NOT EXISTS backlog_bytes BIGINT`,
    ...KINDS.map((k) =>
      `INSERT OR IGNORE INTO streams (stream, next_seq, acked_rows, backlog_rows, backlog_bytes) ` +
      `VALUES ('${k}', 1, 0, 0, 0)`
    ),
    CHECKPOINT_TABLE_SQL,
    QUARANTINE_TABLE_SQL,
    `CREATE TABLE IF NOT EXISTS stream_drops (stream VARCHAR NOT NULL, reason VARCHAR NOT NULL, ` +
    `rows BIGINT NOT NULL, PRIMARY KEY (stream, reason))`,
  ];
}

/**
 * SQL for an approximate byte size of the rows of `kind`, close to the raw
 * Arrow body: 8 bytes per 64-bit value, 4 per 32-bit, text length + 4, list
 * length * 4 + 4.
 */
export function approxRowBytesSql(kind: Kind): string {
  const terms: string[] = [];
  for (const c of bodyColumns(kind)) {
    if (c.type === "utf8" || c.type === "json") terms.push(`strlen(${quoteIdent(c.name)})`);
    else if (c.type === "i32_list") terms.push(`4 * len(${quoteIdent(c.name)})`);
  }
  return [String(fixedRowBytes(kind)), ...terms].join(" + ");
}

/**
 * {@linkcode approxRowBytesSql} summed over `rows` of `kind`, computed here
 * instead of by a query: an append measures the rows it writes, and a query
 * per append cost a DuckDB call (CPU, and N-API externals Deno never frees).
 * Text counts its UTF-8 bytes as DuckDB's `strlen` does once the row is
 * stored (a lone surrogate is stored as U+FFFD, 3 bytes).
 */
export function approxRowsBytes(kind: Kind, rows: readonly object[]): number {
  const specs = bodyColumns(kind);
  let bytes = fixedRowBytes(kind) * rows.length;
  for (const spec of specs) {
    if (spec.type === "utf8" || spec.type === "json") {
      for (const row of rows) bytes += utf8Length((row as Record<string, string>)[spec.name]!);
    } else if (spec.type === "i32_list") {
      for (const row of rows) bytes += 4 * (row as Record<string, number[]>)[spec.name]!.length;
    }
  }
  return bytes;
}

/** Bytes of `text` encoded as UTF-8, lone surrogates as U+FFFD. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4; // a surrogate pair: one code point above U+FFFF
        i++;
      } else {
        bytes += 3;
      }
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The constant part of {@linkcode approxRowBytesSql}: what every row of `kind`
 * weighs whatever its text, so a lower bound of one row's size.
 */
export function fixedRowBytes(kind: Kind): number {
  let fixed = 0;
  for (const c of bodyColumns(kind)) {
    fixed += c.type === "i32" || c.type === "utf8" ||
        c.type === "json" || c.type === "i32_list"
      ? 4
      : 8;
  }
  return fixed;
}
