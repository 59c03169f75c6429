/**
 * The quarantine table: rows an input's processors refused (e.g. the `range`
 * processor's out-of-range readings), kept in the buffer file for an
 * operator to inspect (`agent query "SELECT * FROM quarantine"`), never
 * shipped. Each row is stored as JSON text (bigints as decimal strings) with
 * the input, stream, reason and the time it was quarantined.
 *
 * The table is bounded: after each insert, rows beyond
 * {@linkcode QUARANTINE_MAX_ROWS} are deleted, oldest first.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";

/** Most rows kept in the quarantine table (all inputs together). */
export const QUARANTINE_MAX_ROWS = 100_000;

/** `CREATE TABLE` of the quarantine; idempotent. */
export const QUARANTINE_TABLE_SQL =
  `CREATE TABLE IF NOT EXISTS quarantine (input_id VARCHAR NOT NULL, stream VARCHAR NOT NULL, ` +
  `reason VARCHAR NOT NULL, quarantined_at BIGINT NOT NULL, record VARCHAR NOT NULL)`;

/** Rows to quarantine. */
export interface QuarantineEntry {
  input: string;
  stream: string;
  reason: string;
  rows: readonly unknown[];
  /** ns since the epoch. */
  at: bigint;
}

/** JSON text of a row, bigints as decimal strings. */
export function recordJson(row: unknown): string {
  return JSON.stringify(row, (_k, v) => typeof v === "bigint" ? v.toString() : v);
}

/** Inserts `entry` on `conn` in one transaction, then trims the table to its bound. */
export async function insertQuarantined(
  conn: DuckDBConnection,
  entry: QuarantineEntry,
  maxRows = QUARANTINE_MAX_ROWS,
): Promise<void> {
  if (entry.rows.length === 0) return;
  await conn.run("BEGIN TRANSACTION");
  try {
    const appender = await conn.createAppender("quarantine");
    for (const row of entry.rows) {
      appender.appendVarchar(entry.input);
      appender.appendVarchar(entry.stream);
      appender.appendVarchar(entry.reason);
      appender.appendBigInt(entry.at);
      appender.appendVarchar(recordJson(row));
      appender.endRow();
    }
    appender.flushSync();
    appender.closeSync();
    await conn.run(
      `DELETE FROM quarantine WHERE rowid IN (SELECT rowid FROM quarantine ` +
        `ORDER BY quarantined_at DESC, rowid DESC OFFSET ${Math.max(0, Math.floor(maxRows))})`,
    );
    await conn.run("COMMIT");
  } catch (error) {
    try {
      await conn.run("ROLLBACK");
    } catch {
      // Already rolled back by DuckDB.
    }
    throw error;
  }
}
