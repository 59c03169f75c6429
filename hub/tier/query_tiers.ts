/**
 * Makes `readings`, `logs`, `trades` and `quotes` span hot and cold for one
 * query connection: the catalog objects the query may need (by kind and, when
 * the SQL allows it, by `ts` range) are fetched into the local cache, and a
 * temporary view named like the kind replaces the table on that connection:
 *
 * ```sql
 * CREATE TEMP VIEW readings AS
 *   SELECT <columns> FROM hub.main.readings
 *   UNION ALL SELECT <columns> FROM read_parquet([...cached files...])
 * ```
 *
 * The catalog is read inside a transaction that stays open for the query, so
 * the catalog and the hot tables are read in one snapshot: a window the
 * tierer moves meanwhile is seen either hot or cold, never both, never
 * neither. Closing the connection ends the transaction.
 *
 * @module
 */
import { withinDeadline } from "@tributary/shared/deadline";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Kind } from "@tributary/shared/records";
import { hubColumns, quoteIdent } from "../store/schema.ts";
import { type CatalogObject, listObjects } from "./catalog.ts";
import { sqlString } from "./parquet_export.ts";
import type { QueryCache } from "./query_cache.ts";
import { referencedKinds, tsBoundExprs } from "./time_bounds.ts";

/**
 * A query needs cold objects that cannot be fetched now (the object store is
 * unreachable, or an object does not match its catalog row). Answering
 * without them would be silently incomplete; HTTP answers 503.
 */
export class ColdTierUnavailable extends Error {
  override readonly name = "ColdTierUnavailable";
}

/** What {@linkcode prepareColdQuery} set up; release it when the query has ended. */
export interface PreparedQuery extends Disposable {
  /** Cold objects the query reads, per kind. */
  readonly objects: Readonly<Partial<Record<Kind, number>>>;
  /** Unpins the cached files (idempotent). */
  release(): void;
}

/** Options of {@linkcode prepareColdQuery}. */
export interface PrepareColdQueryOptions {
  cache: QueryCache;
  /** Attempts when an object vanished between catalog read and fetch (compaction). @default 2 */
  attempts?: number;
  /**
   * Longest wait for the cold objects, in ms; then {@linkcode ColdTierUnavailable}. Downloads
   * still running go on in the background and fill the cache for the next query. @default none
   */
  timeoutMs?: number;
}

const NOTHING: PreparedQuery = {
  objects: {},
  release() {},
  [Symbol.dispose]() {},
};

/**
 * Prepares `connection` so that `sql` reads hot and cold rows.
 *
 * @throws {ColdTierUnavailable} when a needed cold object cannot be fetched (the query would be incomplete).
 */
export async function prepareColdQuery(
  connection: DuckDBConnection,
  sql: unknown,
  options: PrepareColdQueryOptions,
): Promise<PreparedQuery> {
  const work = prepareWithRetries(connection, sql, options);
  const timeoutMs = options.timeoutMs;
  if (timeoutMs === undefined) return await work;
  try {
    return await withinDeadline(work, {
      timeoutMs,
      onTimeout: () =>
        new ColdTierUnavailable(
          `cold tier unavailable: objects not fetched within ${timeoutMs} ms`,
        ),
    });
  } catch (error) {
    // The caller gives up on this connection; whatever the work still does must not leak pins.
    work.then((prepared) => prepared.release(), () => {});
    throw error;
  }
}

async function prepareWithRetries(
  connection: DuckDBConnection,
  sql: unknown,
  options: PrepareColdQueryOptions,
): Promise<PreparedQuery> {
  if (typeof sql !== "string") return NOTHING;
  const kinds = referencedKinds(sql);
  if (kinds.length === 0 || !await hasCatalog(connection)) return NOTHING;
  const attempts = options.attempts ?? 2;
  // Evaluated before BEGIN: a failed evaluation would abort the transaction.
  const bounds = await evaluateBounds(connection, sql);
  for (let attempt = 1;; attempt++) {
    await connection.run("BEGIN TRANSACTION");
    try {
      return await prepareInTransaction(connection, kinds, bounds, options.cache);
    } catch (error) {
      await connection.run("ROLLBACK").catch(() => {});
      if (attempt >= attempts) {
        const detail = error instanceof Error ? error.message : String(error);
        throw new ColdTierUnavailable(`cold tier unavailable: ${detail}`, { cause: error });
      }
    }
  }
}

async function prepareInTransaction(
  connection: DuckDBConnection,
  kinds: Kind[],
  { fromNs, toNs }: { fromNs?: bigint; toNs?: bigint },
  cache: QueryCache,
): Promise<PreparedQuery> {
  const objects = await listObjects(connection, {
    kinds,
    fromNs,
    toNs,
    storageClass: "STANDARD",
  });
  if (objects.length === 0) return NOTHING;
  const pins = await cache.acquire(objects);
  try {
    const database = await currentDatabase(connection);
    const byKind = new Map<Kind, string[]>();
    objects.forEach((o: CatalogObject, i) => {
      const files = byKind.get(o.kind) ?? [];
      files.push(pins.files[i]!);
      byKind.set(o.kind, files);
    });
    const counts: Partial<Record<Kind, number>> = {};
    for (const [kind, files] of byKind) {
      await connection.run(coldViewSql(database, kind, files));
      counts[kind] = files.length;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      pins.release();
    };
    return { objects: counts, release, [Symbol.dispose]: release };
  } catch (error) {
    pins.release();
    throw error;
  }
}

/** The temp view of `kind` over the hot table of `database` and the Parquet `files`. */
export function coldViewSql(database: string, kind: Kind, files: readonly string[]): string {
  const columns = hubColumns(kind);
  const hot = columns.map((c) => quoteIdent(c.name)).join(", ");
  const cold = columns.map((c) =>
    `CAST(${quoteIdent(c.name)} AS ${c.sqlType}) AS ${quoteIdent(c.name)}`
  )
    .join(", ");
  return `CREATE OR REPLACE TEMP VIEW ${quoteIdent(kind)} AS
    SELECT ${hot} FROM ${quoteIdent(database)}.main.${quoteIdent(kind)}
    UNION ALL
    SELECT ${cold} FROM read_parquet([${
    files.map(sqlString).join(", ")
  }], hive_partitioning = false)`;
}

/** The `ts` range of `sql` in ns, where {@linkcode tsBoundExprs} found one and DuckDB can evaluate it. */
async function evaluateBounds(
  connection: DuckDBConnection,
  sql: string,
): Promise<{ fromNs?: bigint; toNs?: bigint }> {
  const exprs = tsBoundExprs(sql);
  return {
    fromNs: exprs.lower === undefined ? undefined : await evaluateNs(connection, exprs.lower),
    toNs: exprs.upper === undefined ? undefined : await evaluateNs(connection, exprs.upper),
  };
}

async function evaluateNs(connection: DuckDBConnection, expr: string): Promise<bigint | undefined> {
  for (const form of [`epoch_ns((${expr}))`, `epoch_ns(CAST((${expr}) AS TIMESTAMP_NS))`]) {
    try {
      const value = (await connection.runAndReadAll(`SELECT ${form}`)).getRows()[0]?.[0];
      if (typeof value === "bigint") return value;
    } catch {
      // Try the next form; with none, there is no bound (every object is read).
    }
  }
  return undefined;
}

async function currentDatabase(connection: DuckDBConnection): Promise<string> {
  const value = (await connection.runAndReadAll("SELECT current_database()")).getRows()[0]?.[0];
  return String(value);
}

async function hasCatalog(connection: DuckDBConnection): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'tier_objects'
       AND database_name = current_database()`,
  );
  return Number(reader.getRows()[0]?.[0] ?? 0) > 0;
}
