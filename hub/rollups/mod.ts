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
import type { RollupFamily } from "./family.ts";
import { sensorMinute } from "./sensor_minute.ts";
import { ohlcv } from "./ohlcv.ts";
import { quoteMinute } from "./quote_minute.ts";
import { logMinute } from "./log_minute.ts";

export {
  defaultRollupConfig,
  parseRollupInterval,
  type RollupConfig,
  type RollupInterval,
  validateRollupConfig,
} from "./config.ts";
export type { RollupFamily } from "./family.ts";

/** Every rollup family of a configuration, and the hook the hot store calls. */
export class Rollups {
  readonly config: RollupConfig;
  /** Every family, also when disabled (their tables exist but are not maintained). */
  readonly families: readonly RollupFamily[];
  readonly #byKind: ReadonlyMap<Kind, readonly RollupFamily[]>;

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
    return this.families.flatMap((family) => family.schemaStatements());
  }

  /**
   * Folds the rows of `batch` at `rows` (every row when undefined) into each
   * rollup of the batch's kind, on `connection`. Call it inside the
   * transaction that stores those rows, with exactly the rows it stores, so
   * that rollups and raw rows commit or roll back together.
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
    for (const family of this.#byKind.get(batch.stream) ?? []) {
      buckets += await family.apply(connection, batch, rows);
    }
    return buckets;
  }
}
