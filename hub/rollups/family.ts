/**
 * What every rollup family (sensor minutes, OHLCV bars, quote minutes, log
 * minutes) provides to {@linkcode Rollups}.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Batch, Kind } from "@tributary/shared/records";

/**
 * One rollup: a state table, a view over it for queries, and the code that
 * folds the newly stored rows of a batch into the state.
 */
export interface RollupFamily {
  /** The record kind it rolls up. */
  readonly kind: Kind;
  /** The view `/api/v1/query` users read, e.g. `sensor_minute`. */
  readonly view: string;
  /** The table holding the mergeable state, e.g. `sensor_minute_state`. */
  readonly table: string;
  /** Width of a bucket in ns; buckets start at multiples of it since the epoch. */
  readonly widthNs: bigint;
  /**
   * Idempotent statements creating the state table, (re)creating the view,
   * and creating the connection's TEMP staging table.
   */
  schemaStatements(): string[];
  /**
   * Merges the rows of `batch` at `rows` (every row when undefined) into the
   * state, on `connection` inside the caller's transaction.
   *
   * @returns how many buckets (state rows) the batch touched.
   */
  apply(
    connection: DuckDBConnection,
    batch: Batch,
    rows: ArrayLike<number> | undefined,
  ): Promise<number>;
}

/** How many rows {@linkcode rowIndex} walks: `rows.length`, or every row of the batch. */
export function rowTotal(batch: Batch, rows: ArrayLike<number> | undefined): number {
  return rows ? rows.length : batch.rowCount;
}

/** The batch row of the `i`-th newly stored row. */
export function rowIndex(rows: ArrayLike<number> | undefined, i: number): number {
  return rows ? rows[i]! : i;
}
