/**
 * The one path every API query takes: open a connection to the hot store,
 * prepare it, run the read-only query into the chosen output format, close
 * the connection. Routes (`/api/v1/query` and the convenience endpoints) call
 * {@linkcode runApiQuery}; nothing else opens query connections.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Json } from "@tributary/shared/sql/json_value";
import {
  type QueryColumn,
  type ReadOnlyQueryOptions,
  runReadOnlyQuery,
  streamReadOnlyQuery,
} from "@tributary/shared/sql/read_only_query";
import type { ResultEncoder, ResultFormat } from "./formats/result_format.ts";
import { jsonEncoder } from "./formats/json.ts";
import { csvEncoder } from "./formats/csv.ts";
import { arrowEncoder } from "./formats/arrow.ts";
import { parquetEncoder } from "./formats/parquet.ts";
import type { QueryGate } from "./query_gate.ts";

/** Where query connections come from (the hot store). */
export interface QueryConnectionSource {
  /** A new connection for one query; closed after use. */
  connect(): Promise<DuckDBConnection>;
  /**
   * Prepares a fresh query connection for `sql` before it runs: the Parquet
   * tier (hub/tier/) makes the kind tables span hot and cold there. The result
   * is disposed of when the query has ended.
   */
  prepareQueryConnection?(connection: DuckDBConnection, sql: string): Promise<Disposable>;
  /** Bounds the queries running at once; none: unbounded. */
  readonly gate?: QueryGate;
}

/** One query to run. */
export interface ApiQuery {
  sql: string;
  /** Limits and `$n` parameter values. */
  options: ReadOnlyQueryOptions;
  format: ResultFormat;
  /** Extra fields at the start of a JSON answer (ignored by other formats). */
  jsonExtra?: Record<string, Json>;
}

/** The encoded answer of a query. */
export interface ApiQueryAnswer {
  body: Uint8Array;
  contentType: string;
  columns: QueryColumn[];
  rowCount: number;
  truncated: boolean;
}

/** A fresh encoder for `format`. */
export function encoderFor(format: ResultFormat, jsonExtra?: Record<string, Json>): ResultEncoder {
  switch (format) {
    case "json":
      return jsonEncoder(jsonExtra);
    case "csv":
      return csvEncoder();
    case "arrow":
      return arrowEncoder();
    case "parquet":
      return parquetEncoder();
  }
}

/**
 * Runs `query` on a new connection of `source`, encodes the answer, closes
 * the connection.
 *
 * @throws {QueryRefused} for SQL that is refused, fails in DuckDB or runs past the time limit.
 */
export async function runApiQuery(
  source: QueryConnectionSource,
  query: ApiQuery,
): Promise<ApiQueryAnswer> {
  const encoder = encoderFor(query.format, query.jsonExtra);
  try {
    return await withQueryConnection(source, query.sql, async (connection) => {
      const summary = await streamReadOnlyQuery(connection, query.sql, query.options, encoder.sink);
      const encoded = await encoder.finish(summary);
      return {
        ...encoded,
        columns: summary.columns,
        rowCount: summary.rowCount,
        truncated: summary.truncated,
      };
    });
  } finally {
    await encoder.close();
  }
}

/**
 * Runs read-only `sql` (built by a route, values in `options.params`) and
 * returns its rows as JSON objects keyed by column name.
 *
 * @throws {QueryRefused} as {@linkcode runApiQuery} does.
 */
export function queryObjects(
  source: QueryConnectionSource,
  sql: string,
  options: ReadOnlyQueryOptions,
): Promise<{ [column: string]: Json }[]> {
  return withQueryConnection(source, sql, async (connection) => {
    const result = await runReadOnlyQuery(connection, sql, options);
    return result.rows.map((row) => {
      const object: { [column: string]: Json } = {};
      result.columns.forEach((column, i) => (object[column.name] = row[i]!));
      return object;
    });
  });
}

/**
 * Waits for a slot of the source's gate, opens a connection, prepares it for
 * `sql`, runs `work`, closes it: the only place API queries get a connection.
 *
 * @throws {QueryGateFull} when too many queries already wait (HTTP 429).
 */
export async function withQueryConnection<T>(
  source: QueryConnectionSource,
  sql: string,
  work: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const release = await source.gate?.acquire();
  try {
    const connection = await source.connect();
    try {
      using _coldTier = await source.prepareQueryConnection?.(connection, sql);
      return await work(connection);
    } finally {
      connection.closeSync();
    }
  } finally {
    release?.();
  }
}
