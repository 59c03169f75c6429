/**
 * The tier catalog: two tables in the hub's DuckDB file.
 *
 * - `tier_objects`: one row per cold object that queries read — key, kind,
 *   partition, time range, row count, size, SHA-256, the store's ETag and
 *   storage class. A row appears in the same transaction that deletes the
 *   object's rows from the hot table, so a query (one snapshot) sees every
 *   row exactly once: hot, or cold through the catalog.
 * - `tier_pending`: keys being written, or replaced by compaction or expired,
 *   recorded before the object is touched. A key in `tier_pending` but not in
 *   `tier_objects` is garbage from an interrupted step; the tierer deletes the
 *   object and the mark.
 *
 * @module
 */
import {
  type DuckDBConnection,
  DuckDBTimestampNanosecondsValue,
  type DuckDBValue,
} from "@duckdb/node-api";
import type { Kind } from "@tributary/shared/records";

/** One row of `tier_objects`. */
export interface CatalogObject {
  key: string;
  kind: Kind;
  /** The Hive partition folder, e.g. `kind=readings/date=2026-11-20/`. */
  partition: string;
  minTs: bigint;
  maxTs: bigint;
  rowCount: number;
  sizeBytes: number;
  sha256: string;
  etag: string;
  storageClass: string;
  createdAt: bigint;
}

/** Statements that create the catalog, idempotent. */
export function catalogSchemaStatements(): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS tier_objects (
      key VARCHAR NOT NULL, kind VARCHAR NOT NULL, "partition" VARCHAR NOT NULL,
      min_ts TIMESTAMP_NS NOT NULL, max_ts TIMESTAMP_NS NOT NULL,
      row_count BIGINT NOT NULL, size_bytes BIGINT NOT NULL,
      sha256 VARCHAR NOT NULL, etag VARCHAR NOT NULL,
      storage_class VARCHAR NOT NULL, created_at TIMESTAMP_NS NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS tier_pending (
      key VARCHAR NOT NULL, reason VARCHAR NOT NULL, created_at TIMESTAMP_NS NOT NULL)`,
  ];
}

/** Creates the catalog tables if missing. */
export async function ensureCatalog(connection: DuckDBConnection): Promise<void> {
  for (const sql of catalogSchemaStatements()) await connection.run(sql);
}

/** Inserts one catalog row. */
export async function insertObject(
  connection: DuckDBConnection,
  object: CatalogObject,
): Promise<void> {
  await connection.run(
    `INSERT INTO tier_objects VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      object.key,
      object.kind,
      object.partition,
      new DuckDBTimestampNanosecondsValue(object.minTs),
      new DuckDBTimestampNanosecondsValue(object.maxTs),
      BigInt(object.rowCount),
      BigInt(object.sizeBytes),
      object.sha256,
      object.etag,
      object.storageClass,
      new DuckDBTimestampNanosecondsValue(object.createdAt),
    ],
  );
}

/** Records `key` as pending (being written, or to be deleted). */
export async function markPending(
  connection: DuckDBConnection,
  key: string,
  reason: string,
  now: bigint,
): Promise<void> {
  await connection.run(`INSERT INTO tier_pending VALUES ($1, $2, $3)`, [
    key,
    reason,
    new DuckDBTimestampNanosecondsValue(now),
  ]);
}

/** Removes the pending mark of `key`. */
export async function clearPending(connection: DuckDBConnection, key: string): Promise<void> {
  await connection.run(`DELETE FROM tier_pending WHERE key = $1`, [key]);
}

/** Pending keys with no catalog row: objects that may exist and that no query reads. */
export async function garbageKeys(connection: DuckDBConnection): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT DISTINCT key FROM tier_pending
     WHERE key NOT IN (SELECT key FROM tier_objects) ORDER BY key`,
  );
  return reader.getRows().map((row) => row[0] as string);
}

/** Pending keys that are in the catalog (a committed step): only the mark is stale. */
export async function clearCommittedPending(connection: DuckDBConnection): Promise<void> {
  await connection.run(`DELETE FROM tier_pending WHERE key IN (SELECT key FROM tier_objects)`);
}

/** Options of {@linkcode listObjects}. */
export interface ListObjectsOptions {
  kinds?: readonly Kind[];
  /** Only objects whose `[min_ts, max_ts]` meets `[fromNs, toNs]` (inclusive). */
  fromNs?: bigint;
  toNs?: bigint;
  /** Only objects in this storage class. */
  storageClass?: string;
}

/** Catalog rows, oldest first. */
export async function listObjects(
  connection: DuckDBConnection,
  options: ListObjectsOptions = {},
): Promise<CatalogObject[]> {
  const where: string[] = [];
  const params: DuckDBValue[] = [];
  const param = (value: DuckDBValue) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (options.kinds) {
    if (options.kinds.length === 0) return [];
    where.push(`kind IN (${options.kinds.map((k) => param(k)).join(", ")})`);
  }
  if (options.fromNs !== undefined) {
    where.push(`max_ts >= ${param(new DuckDBTimestampNanosecondsValue(options.fromNs))}`);
  }
  if (options.toNs !== undefined) {
    where.push(`min_ts <= ${param(new DuckDBTimestampNanosecondsValue(options.toNs))}`);
  }
  if (options.storageClass !== undefined) {
    where.push(`storage_class = ${param(options.storageClass)}`);
  }
  const reader = await connection.runAndReadAll(
    `SELECT key, kind, "partition", epoch_ns(min_ts), epoch_ns(max_ts), row_count, size_bytes,
            sha256, etag, storage_class, epoch_ns(created_at)
     FROM tier_objects ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY min_ts, key`,
    params,
  );
  return reader.getRows().map((row) => ({
    key: row[0] as string,
    kind: row[1] as Kind,
    partition: row[2] as string,
    minTs: row[3] as bigint,
    maxTs: row[4] as bigint,
    rowCount: Number(row[5]),
    sizeBytes: Number(row[6]),
    sha256: row[7] as string,
    etag: row[8] as string,
    storageClass: row[9] as string,
    createdAt: row[10] as bigint,
  }));
}
