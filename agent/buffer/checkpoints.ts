/**
 * Input checkpoints: where each input is in its source (a row index, a file
 * offset, ...), stored in the buffer file and written in the SAME transaction
 * as the rows it covers. After a crash an input resumes exactly where its
 * committed rows end: nothing is read twice, nothing skipped.
 *
 * A checkpoint is keyed by the input's stable id (`[[inputs]] id`, default
 * `<type>#<index>`) and a name chosen by the input (e.g. one per stream or
 * per file); its position is an opaque string only the input interprets.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";

/** One input position to commit with rows. */
export interface InputCheckpoint {
  /** The input's stable id, e.g. `sim_market#2`. */
  input: string;
  /** Which of the input's positions, e.g. `trades`. */
  name: string;
  /** The position after the rows it is committed with; opaque to the buffer. */
  position: string;
}

/** `CREATE TABLE` of the checkpoint store; idempotent. */
export const CHECKPOINT_TABLE_SQL =
  `CREATE TABLE IF NOT EXISTS input_checkpoints (input_id VARCHAR NOT NULL, ` +
  `name VARCHAR NOT NULL, position VARCHAR NOT NULL, updated_at TIMESTAMPTZ NOT NULL, ` +
  `PRIMARY KEY (input_id, name))`;

/** Upserts `checkpoint` on `conn`; the caller owns the transaction. */
export async function saveCheckpoint(
  conn: DuckDBConnection,
  checkpoint: InputCheckpoint,
): Promise<void> {
  await conn.run(
    `INSERT OR REPLACE INTO input_checkpoints VALUES ($1, $2, $3, now())`,
    [checkpoint.input, checkpoint.name, checkpoint.position],
  );
}

/** The committed position of (`input`, `name`), or `undefined` when none was saved. */
export async function loadCheckpoint(
  conn: DuckDBConnection,
  input: string,
  name: string,
): Promise<string | undefined> {
  const reader = await conn.runAndReadAll(
    `SELECT position FROM input_checkpoints WHERE input_id = $1 AND name = $2`,
    [input, name],
  );
  const value = reader.getRows()[0]?.[0];
  return typeof value === "string" ? value : undefined;
}
