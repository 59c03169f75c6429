/**
 * Runs SQL straight on a closed buffer file, as a test's stand-in for a crash
 * or a corruption the buffer itself would never write.
 *
 * @module
 */
import { DuckDBInstance } from "@duckdb/node-api";

/** Opens the DuckDB file at `path`, runs `statements` in order, closes it. */
export async function runOnFile(path: string, statements: readonly string[]): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    for (const sql of statements) await conn.run(sql);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
