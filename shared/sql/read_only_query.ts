/**
 * Runs SQL from an operator or HTTP client against a DuckDB database (the hub's
 * hot store, the agent's buffer), read-only: exactly one
 * statement, and DuckDB must classify it as a SELECT once prepared. Results
 * are bounded in rows and time.
 *
 * @module
 */
import {
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBPreparedStatement,
  type DuckDBType,
  type DuckDBValue,
  StatementType,
} from "@duckdb/node-api";
import { chunkToJsonRows, type Json, type JsonConverter, jsonConverter } from "./json_value.ts";

/** A query that will not be run, or that DuckDB refused; HTTP APIs answer 400. */
export class QueryRefused extends Error {
  override readonly name: string = "QueryRefused";
}

/** One result column: its name and DuckDB type, e.g. `TIMESTAMP_NS` or `INTEGER[]`. */
export interface QueryColumn {
  name: string;
  type: string;
}

/** The answer of {@linkcode runReadOnlyQuery}. */
export interface QueryResult {
  columns: QueryColumn[];
  rows: Json[][];
  /** True when the query had more than `maxRows` rows and only the first `maxRows` are here. */
  truncated: boolean;
}

/** Options of {@linkcode runReadOnlyQuery}. */
export interface ReadOnlyQueryOptions {
  /** Most rows returned. @default 100000 */
  maxRows?: number;
  /** The query is interrupted after this long. @default 30000 */
  timeoutMs?: number;
  /** Values for `$1`, `$2`... placeholders (for SQL the caller builds, never user text). */
  params?: DuckDBValue[];
}

/** Longest SQL text accepted, in characters. */
export const MAX_SQL_CHARS = 100_000;

/** What {@linkcode streamReadOnlyQuery} tells about a finished query. */
export interface QueryStreamSummary {
  columns: QueryColumn[];
  /** DuckDB types of the columns, e.g. to create a table of the same shape. */
  types: DuckDBType[];
  /** Rows handed to `onChunk`. */
  rowCount: number;
  /** True when the query had more than `maxRows` rows and only the first `maxRows` were handed over. */
  truncated: boolean;
}

/** Receives the result, chunk by chunk (at most 2048 rows each); `columns` arrive before the first chunk. */
export interface QueryChunkSink {
  /** Called once, before any chunk, with the result's columns. */
  start?(columns: QueryColumn[], types: DuckDBType[]): void | Promise<void>;
  /** Called per chunk; the last one is cut to respect `maxRows`. */
  chunk(chunk: DuckDBDataChunk): void | Promise<void>;
}

/**
 * Runs `sql` on `connection` (which should be used for nothing else meanwhile:
 * a timeout interrupts whatever the connection runs).
 *
 * @throws {QueryRefused} when `sql` is not exactly one SELECT, when DuckDB
 * reports an error (its message is kept) or when the timeout passes.
 * @example
 * ```ts
 * const result = await runReadOnlyQuery(connection, "SELECT count(*) AS n FROM readings");
 * result.rows; // [[1234]]
 * ```
 */
export async function runReadOnlyQuery(
  connection: DuckDBConnection,
  sql: unknown,
  options: ReadOnlyQueryOptions = {},
): Promise<QueryResult> {
  const rows: Json[][] = [];
  let converters: JsonConverter[] = [];
  const summary = await streamReadOnlyQuery(connection, sql, options, {
    start(_columns, types) {
      converters = types.map(jsonConverter);
    },
    chunk(chunk) {
      for (const row of chunkToJsonRows(chunk, converters)) rows.push(row);
    },
  });
  return { columns: summary.columns, rows, truncated: summary.truncated };
}

/**
 * Runs `sql` like {@linkcode runReadOnlyQuery} but hands the result to `sink`
 * chunk by chunk, for output formats that do not need JSON values (CSV,
 * Arrow, Parquet). The time limit covers the sink's work too.
 *
 * @throws {QueryRefused} as {@linkcode runReadOnlyQuery} does.
 */
export async function streamReadOnlyQuery(
  connection: DuckDBConnection,
  sql: unknown,
  options: ReadOnlyQueryOptions,
  sink: QueryChunkSink,
): Promise<QueryStreamSummary> {
  const maxRows = options.maxRows ?? 100_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (typeof sql !== "string" || sql.trim() === "") {
    throw new QueryRefused(`sql: expected a non-empty string, got ${describe(sql)}`);
  }
  if (sql.length > MAX_SQL_CHARS) {
    throw new QueryRefused(`sql: ${sql.length} characters, at most ${MAX_SQL_CHARS} allowed`);
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.interrupt();
  }, timeoutMs);
  let prepared: DuckDBPreparedStatement | undefined;
  try {
    const extracted = await connection.extractStatements(sql);
    if (extracted.count !== 1) {
      throw new QueryRefused(`sql: expected exactly one statement, got ${extracted.count}`);
    }
    prepared = await extracted.prepare(0);
    if (options.params) prepared.bind(options.params);
    const type = prepared.statementType;
    if (type !== StatementType.SELECT) {
      throw new QueryRefused(
        `sql: only SELECT statements are allowed, got ${StatementType[type] ?? type}`,
      );
    }
    const result = await prepared.stream();
    const types = result.columnTypes();
    const columns = result.columnNames().map((name, i) => {
      const columnType = types[i]!;
      return { name, type: columnType.alias ?? columnType.toString() };
    });
    await sink.start?.(columns, types);
    let rowCount = 0;
    let truncated = false;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      if (rowCount === maxRows) {
        truncated = true;
        break;
      }
      if (rowCount + chunk.rowCount > maxRows) {
        chunk.rowCount = maxRows - rowCount;
        truncated = true;
      }
      rowCount += chunk.rowCount;
      await sink.chunk(chunk);
      if (timedOut) break;
      if (truncated) break;
    }
    if (timedOut) throw new QueryRefused(`query interrupted after the ${timeoutMs} ms time limit`);
    return { columns, types, rowCount, truncated };
  } catch (error) {
    if (error instanceof QueryRefused) throw error;
    if (timedOut) throw new QueryRefused(`query interrupted after the ${timeoutMs} ms time limit`);
    throw new QueryRefused(error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
    prepared?.destroySync();
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  return typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : typeof value;
}
