/**
 * Rollups maintained incrementally inside the hot store's ingest transaction:
 * `sensor_minute`, `ohlcv_<interval>` (per configured interval),
 * `quote_minute` and `log_minute`. Columns and semantics: `docs/storage.md`.
 *
 * The store hands over exactly the rows a batch newly stores (rows it already
 * had are deduplicated by sequence range and never reach the rollups), and
 * each family folds them into mergeable state: counts, sums, min, max and the
 * (ts, value) of first and last with a fixed tie-break. A late or
 * out-of-order batch merges into the buckets it touches without reading any
 * raw row, so buckets whose raw rows already left for the cold tier are
 * corrected too.
 *
 * @example
 * ```ts
 * const rollups = new Rollups(defaultRollupConfig());
 * for (const sql of rollups.schemaStatements()) await connection.run(sql);
 * // inside the ingest transaction, after the new rows are appended:
 * await rollups.apply(connection, batch, newRows);
 * ```
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Batch, Kind } from "@tributary/shared/records";
import { defaultRollupConfig, type RollupConfig } from "./config.ts";
import { type RollupFamily, rowTotal } from "./family.ts";
import { rowsFrom } from "./retention_bounds.ts";
import { sensorMinute } from "./sensor_minute.ts";
import { ohlcv } from "./ohlcv.ts";
import { quoteMinute } from "./quote_minute.ts";
import { logMinute } from "./log_minute.ts";

export {
  defaultRetention,
  defaultRollupConfig,
  parseRetention,
  parseRollupInterval,
  type RollupConfig,
  type RollupInterval,
  rollupViewNames,
  validateRollupConfig,
} from "./config.ts";
export type { RollupFamily } from "./family.ts";
export { keepFromNs } from "./retention_bounds.ts";

/** Per view, the first bucket kept once the retention pass has expired older ones. */
const EXPIRY_TABLE = "rollup_expiry";

/** Every rollup family of a configuration, and the hook the hot store calls. */
export class Rollups {
  readonly config: RollupConfig;
  /** Every family, also when disabled (their tables exist but are not maintained). */
  readonly families: readonly RollupFamily[];
  /**
   * Rows left out of each view (by view name) because their bucket was
   * expired by the retention pass (see retention.ts); counted since
   * construction. May count a row twice when its transaction rolled back and
   * the batch was retried.
   */
  readonly lateRowsSkipped: Map<string, number> = new Map();
  readonly #byKind: ReadonlyMap<Kind, readonly RollupFamily[]>;
  /** `rollup_expiry` as last read or written; undefined until first needed. */
  #keepFrom: Map<string, bigint> | undefined;

  constructor(config: RollupConfig = defaultRollupConfig()) {
    this.config = config;
    this.families = [
      sensorMinute,
      ...config.trade_intervals.map(ohlcv),
      quoteMinute,
      logMinute,
    ];
    const byKind = new Map<Kind, RollupFamily[]>();
    for (const family of this.families) {
      byKind.set(family.kind, [...(byKind.get(family.kind) ?? []), family]);
    }
    this.#byKind = byKind;
  }

  /**
   * Idempotent statements creating every state table and view, and the TEMP
   * staging tables of the connection they run on: run them on every
   * connection later given to {@linkcode Rollups.apply}, outside a
   * transaction that may roll back.
   */
  schemaStatements(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${EXPIRY_TABLE}
         (view VARCHAR PRIMARY KEY, keep_from TIMESTAMP_NS NOT NULL)`,
      ...this.families.flatMap((family) => family.schemaStatements()),
    ];
  }

  /**
   * The first bucket kept of each view whose older buckets the retention
   * pass has expired (ns), as stored in `rollup_expiry`.
   */
  async keepFrom(connection: DuckDBConnection): Promise<ReadonlyMap<string, bigint>> {
    if (this.#keepFrom === undefined) {
      const rows = (await connection.runAndReadAll(
        `SELECT view, epoch_ns(keep_from) FROM ${EXPIRY_TABLE}`,
      )).getRows();
      this.#keepFrom = new Map(rows.map(([view, ns]) => [view as string, ns as bigint]));
    }
    return this.#keepFrom;
  }

  /**
   * Records (never lowering it) that buckets of `view` before `keepFromNs`
   * are expired: from now on rows of those buckets are left out of the view.
   * The retention pass calls it on the writer before deleting them.
   */
  async markExpired(connection: DuckDBConnection, view: string, keepFromNs: bigint): Promise<void> {
    const known = await this.keepFrom(connection);
    if ((known.get(view) ?? keepFromNs - 1n) >= keepFromNs) return;
    await connection.run(
      `INSERT INTO ${EXPIRY_TABLE} VALUES ($1, make_timestamp_ns($2::BIGINT))
       ON CONFLICT (view) DO UPDATE SET keep_from = greatest(keep_from, excluded.keep_from)`,
      [view, keepFromNs],
    );
    this.#keepFrom!.set(view, keepFromNs);
  }

  /**
   * Folds the rows of `batch` at `rows` (every row when undefined) into each
   * rollup of the batch's kind, on `connection`. Call it inside the
   * transaction that stores those rows, with exactly the rows it stores, so
   * that rollups and raw rows commit or roll back together.
   *
   * Rows of buckets the retention pass has expired are left out of that view
   * (and counted in {@linkcode Rollups.lateRowsSkipped}): the bucket was
   * deleted, and re-creating it from a late batch alone would show wrong
   * figures. The raw rows are stored all the same.
   *
   * @returns how many buckets were merged, over all rollups.
   */
  async apply(
    connection: DuckDBConnection,
    batch: Batch,
    rows: ArrayLike<number> | undefined,
  ): Promise<number> {
    if (!this.config.enabled) return 0;
    if ((rows ? rows.length : batch.rowCount) === 0) return 0;
    let buckets = 0;
    const expired = await this.keepFrom(connection);
    for (const family of this.#byKind.get(batch.stream) ?? []) {
      let familyRows = rows;
      const keepFrom = expired.get(family.view);
      if (keepFrom !== undefined) {
        familyRows = rowsFrom(batch.columns.ts as BigInt64Array, rows, batch.rowCount, keepFrom);
        const skipped = rowTotal(batch, rows) - rowTotal(batch, familyRows);
        if (skipped > 0) {
          this.lateRowsSkipped.set(
            family.view,
            (this.lateRowsSkipped.get(family.view) ?? 0) + skipped,
          );
        }
        if (rowTotal(batch, familyRows) === 0) continue;
      }
      buckets += await family.apply(connection, batch, familyRows);
    }
    return buckets;
  }
}
