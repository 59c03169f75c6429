/**
 * Prepared statements reused per connection. `connection.run(sql, params)`
 * parses, plans and destroys a prepared statement on every call; the hub's
 * ingest path runs the same handful of parameterized statements per batch
 * (dedup check, batch mark, agent totals, rollup merges), and the profile of
 * an end-to-end run showed that prepare/extract/destroy work on the
 * commit → ack path. Statements are pooled per (connection, SQL): one in use
 * is never handed out twice, so concurrent callers on one connection each get
 * their own.
 *
 * @module
 */
import type {
  DuckDBConnection,
  DuckDBMaterializedResult,
  DuckDBPreparedStatement,
  DuckDBResultReader,
  DuckDBValue,
} from "@duckdb/node-api";

const pools = new WeakMap<DuckDBConnection, Map<string, DuckDBPreparedStatement[]>>();

async function withStatement<T>(
  connection: DuckDBConnection,
  sql: string,
  values: DuckDBValue[],
  use: (statement: DuckDBPreparedStatement) => Promise<T>,
): Promise<T> {
  let bySql = pools.get(connection);
  if (bySql === undefined) pools.set(connection, bySql = new Map());
  let free = bySql.get(sql);
  if (free === undefined) bySql.set(sql, free = []);
  const statement = free.pop() ?? await connection.prepare(sql);
  let reusable = true;
  try {
    statement.bind(values);
    return await use(statement);
  } catch (error) {
    // A failed statement may hold state we cannot see; do not hand it out again.
    reusable = false;
    statement.destroySync();
    throw error;
  } finally {
    if (reusable) free.push(statement);
  }
}

/**
 * Runs `sql` with `values` on `connection` through a cached prepared statement.
 *
 * @example
 * ```ts
 * await runCached(connection, "INSERT INTO t VALUES ($1)", [1n]);
 * ```
 */
export function runCached(
  connection: DuckDBConnection,
  sql: string,
  values: DuckDBValue[],
): Promise<DuckDBMaterializedResult> {
  return withStatement(connection, sql, values, (s) => s.run());
}

/** Like {@linkcode runCached}, reading every row (for small lookups). */
export function readCached(
  connection: DuckDBConnection,
  sql: string,
  values: DuckDBValue[],
): Promise<DuckDBResultReader> {
  return withStatement(connection, sql, values, (s) => s.runAndReadAll());
}

/** Destroys the cached statements of `connection`; call it before closing the connection. */
export function dropCachedStatements(connection: DuckDBConnection): void {
  const bySql = pools.get(connection);
  if (bySql === undefined) return;
  pools.delete(connection);
  for (const free of bySql.values()) {
    for (const statement of free) {
      try {
        statement.destroySync();
      } catch {
        // Already gone with its connection; nothing to free.
      }
    }
  }
}
