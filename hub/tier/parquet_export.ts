/**
 * Writes rows to Parquet with DuckDB's `COPY ... TO` on the hub's own
 * instance: external access is off there, so the tier's work folder is
 * listed in DuckDB's `allowed_directories` (see `HotStore.open`) and is the
 * only place a COPY may write.
 *
 * Files are zstd-compressed, sorted by the kind's key columns then `ts`, with
 * row groups of `row_group_rows`.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Kind } from "@tributary/shared/records";
import { hubColumns, quoteIdent } from "../store/schema.ts";
import { SORT_KEYS } from "./partitions.ts";

/** SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `ts` bound as SQL, from our own bigint (never user text). */
export function tsLiteral(ns: bigint): string {
  return `make_timestamp_ns(${BigInt(ns).toString()}::BIGINT)`;
}

/** `ORDER BY` list of `kind`: its key columns, then `ts`. */
export function orderBy(kind: Kind): string {
  return [...SORT_KEYS[kind], "ts"].map(quoteIdent).join(", ");
}

/** The hot rows of `kind` with `fromNs <= ts < toNs`, every column, in file order. */
export function hotWindowSql(kind: Kind, fromNs: bigint, toNs: bigint): string {
  const columns = hubColumns(kind).map((c) => quoteIdent(c.name)).join(", ");
  return `SELECT ${columns} FROM ${quoteIdent(kind)}
    WHERE ts >= ${tsLiteral(fromNs)} AND ts < ${tsLiteral(toNs)}
    ORDER BY ${orderBy(kind)}`;
}

/** Options of {@linkcode copyToParquet}. */
export interface CopyToParquetOptions {
  /** A SELECT producing the rows, already ordered. */
  select: string;
  /** Destination file (inside an allowed directory). */
  file: string;
  rowGroupRows: number;
}

/**
 * Runs `COPY (select) TO file (FORMAT parquet, COMPRESSION zstd)`.
 *
 * @returns the number of rows written.
 */
export async function copyToParquet(
  connection: DuckDBConnection,
  options: CopyToParquetOptions,
): Promise<number> {
  const reader = await connection.runAndReadAll(
    `COPY (${options.select}) TO ${sqlString(options.file)}
     (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${Math.trunc(options.rowGroupRows)})`,
  );
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

/** Rows and `ts` range of Parquet files, read back with DuckDB. */
export async function parquetStats(
  connection: DuckDBConnection,
  files: readonly string[],
): Promise<{ rows: number; minTs: bigint; maxTs: bigint }> {
  const list = files.map(sqlString).join(", ");
  const reader = await connection.runAndReadAll(
    `SELECT count(*), epoch_ns(min(ts)), epoch_ns(max(ts))
     FROM read_parquet([${list}], hive_partitioning = false)`,
  );
  const [rows, min, max] = reader.getRows()[0] ?? [0n, null, null];
  return {
    rows: Number(rows),
    minTs: (min as bigint | null) ?? 0n,
    maxTs: (max as bigint | null) ?? 0n,
  };
}
