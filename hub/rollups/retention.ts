/**
 * Rollup retention: a periodic pass that deletes each view's state rows whose
 * bucket is older than the view's retention (`[rollups.retention]`), so that
 * a long-running hub does not grow forever.
 *
 * The pass deletes in bounded chunks (at most {@linkcode CHUNK_BUCKETS}
 * bucket widths per DELETE, e.g. one hour of 1 s bars), each chunk its own
 * job on the hub's single writer, so ingest waits at most one chunk. Before
 * deleting, it records the view's first kept bucket in `rollup_expiry`
 * ({@linkcode Rollups.markExpired}); from then on {@linkcode Rollups.apply}
 * leaves late rows of older buckets out of that view (and counts them), so
 * no partial bucket is re-created, also after a restart or when the
 * retention is later raised.
 *
 * @example
 * ```ts
 * const retention = new RollupRetention({
 *   rollups: store.rollups,
 *   onWriter: (work) => store.withWriter(work),
 *   log,
 *   registry: metrics.registry,
 * });
 * retention.start();
 * // ...
 * await retention.stop();
 * ```
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { Counter, type Registry } from "prom-client";
import type { Logger } from "@tributary/shared/log";
import { nowNs } from "@tributary/shared/records";
import { quoteIdent } from "../store/schema.ts";
import type { Rollups } from "./mod.ts";
import { keepFromNs } from "./retention_bounds.ts";

/** Most bucket widths one DELETE covers. */
export const CHUNK_BUCKETS = 3600n;

/** Options of {@linkcode RollupRetention}. */
export interface RollupRetentionOptions {
  /** The hot store's rollups (config and families). */
  rollups: Rollups;
  /** Runs `work` on the hub's single writer, after the write in progress. */
  onWriter: <T>(work: (writer: DuckDBConnection) => Promise<T>) => Promise<T>;
  log: Logger;
  /** The hub's metrics registry; none: metrics are kept in a private one. */
  registry?: Registry;
  /** @default nowNs */
  now?: () => bigint;
}

/** Rows deleted by one pass, by view (views kept forever are absent). */
export type ExpireReport = Record<string, number>;

/** The rollup retention part of a hub. */
export class RollupRetention {
  readonly #options: RollupRetentionOptions;
  readonly #expired: Counter<"view">;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pass: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(options: RollupRetentionOptions) {
    this.#options = options;
    const registers = options.registry ? [options.registry] : [];
    this.#expired = new Counter({
      name: "tributary_hub_rollup_expired_rows_total",
      help:
        "Rollup state rows deleted because their bucket is older than the view's retention, by view.",
      labelNames: ["view"],
      registers,
    });
    const skipped = options.rollups.lateRowsSkipped;
    const reported = new Map<string, number>();
    new Counter({
      name: "tributary_hub_rollup_late_rows_skipped_total",
      help:
        "Rows stored but left out of a rollup view because their bucket was expired by its retention, by view.",
      labelNames: ["view"],
      registers,
      // The counts live in Rollups (inside the ingest path); brought in at scrape time.
      collect() {
        for (const [view, total] of skipped) {
          const delta = total - (reported.get(view) ?? 0);
          if (delta > 0) this.inc({ view }, delta);
          reported.set(view, total);
        }
      },
    });
  }

  /** Schedules a pass every `retention_interval_s` (the first after one interval). */
  start(): void {
    if (!this.#stopped && this.#timer === undefined) this.#schedule();
  }

  /**
   * Runs one pass now (after any pass in progress): for each view with a
   * retention, deletes state rows of buckets before the first bucket kept.
   */
  runPass(): Promise<ExpireReport> {
    const run = this.#pass.then(() => this.#runPass());
    this.#pass = run.catch(() => {});
    return run;
  }

  /** Stops scheduling and waits for the pass in progress. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#pass;
  }

  async #runPass(): Promise<ExpireReport> {
    const { rollups, log } = this.#options;
    const now = (this.#options.now ?? nowNs)();
    const report: ExpireReport = {};
    for (const family of rollups.families) {
      const keepFrom = keepFromNs(rollups.config.retention[family.view] ?? 0, family.widthNs, now);
      if (keepFrom === undefined) continue;
      await this.#options.onWriter((writer) => rollups.markExpired(writer, family.view, keepFrom));
      const deleted = await this.#expire(family.table, family.widthNs * CHUNK_BUCKETS, keepFrom);
      report[family.view] = deleted;
      if (deleted > 0) {
        this.#expired.inc({ view: family.view }, deleted);
        log.info("rollup state expired", {
          view: family.view,
          rows: deleted,
          before: new Date(Number(keepFrom / 1_000_000n)).toISOString(),
        });
      }
    }
    return report;
  }

  /** Deletes rows of `table` with bucket < keepFrom, one chunk of at most `spanNs` per writer job. */
  async #expire(table: string, spanNs: bigint, keepFrom: bigint): Promise<number> {
    const name = quoteIdent(table);
    let deleted = 0;
    while (!this.#stopped) {
      const chunk = await this.#options.onWriter(async (writer) => {
        const oldest = (await writer.runAndReadAll(
          `SELECT epoch_ns(min(bucket)) FROM ${name} WHERE bucket < make_timestamp_ns($1::BIGINT)`,
          [keepFrom],
        )).getRows()[0]?.[0];
        if (oldest === null || oldest === undefined) return undefined;
        const from = oldest as bigint;
        const to = from + spanNs < keepFrom ? from + spanNs : keepFrom;
        const result = await writer.run(
          `DELETE FROM ${name} WHERE bucket >= make_timestamp_ns($1::BIGINT)
             AND bucket < make_timestamp_ns($2::BIGINT)`,
          [from, to],
        );
        return Number(result.rowsChanged);
      });
      if (chunk === undefined) break;
      deleted += chunk;
    }
    return deleted;
  }

  #schedule(): void {
    this.#timer = setTimeout(async () => {
      this.#timer = undefined;
      await this.runPass().catch((error) =>
        this.#options.log.error("rollup retention pass failed", { error })
      );
      if (!this.#stopped) this.#schedule();
    }, this.#options.rollups.config.retention_interval_s * 1000);
  }
}
