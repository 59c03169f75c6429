/**
 * The tierer: one pass moves hot rows older than each kind's `hot_retention_s`
 * to Parquet objects, merges small objects, applies cold retention, and
 * deletes garbage left by interrupted steps.
 *
 * Moving one hour of one kind:
 * 1. mark the new key pending (committed on its own);
 * 2. in one DuckDB transaction: COPY the window's rows to a local Parquet
 *    file; upload it; HEAD it and compare size and ETag with the local file
 *    (the upload is verified before anything is deleted); insert the catalog
 *    row, delete the same rows from the hot table (the count must match the
 *    file's), clear the pending mark; COMMIT.
 *
 * A crash or failure before COMMIT rolls everything back: the rows stay hot,
 * no query reads the object (it has no catalog row), and the pending mark
 * tells a later pass to delete it. A query runs in one snapshot, so it sees
 * the window either hot or cold, never both.
 *
 * @module
 */
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { type Kind, KINDS, nowNs } from "@tributary/shared/records";
import type { Logger } from "@tributary/shared/log";
import { quoteIdent } from "../store/schema.ts";
import {
  clearCommittedPending,
  clearPending,
  ensureCatalog,
  garbageKeys,
  insertObject,
  listObjects,
  markPending,
} from "./catalog.ts";
import type { TierConfig } from "./config.ts";
import { sha256File } from "./etag.ts";
import type { ObjectStore } from "./object_store.ts";
import {
  copyToParquet,
  hotWindowSql,
  orderBy,
  parquetStats,
  sqlString,
  tsLiteral,
} from "./parquet_export.ts";
import { DAY_NS, floorHour, HOUR_NS, objectKey, partitionPrefix } from "./partitions.ts";
import { createTierMetrics, type TierMetrics } from "./tier_metrics.ts";

/** Points where tests stop or crash the tierer, to prove a step is safe to interrupt. */
export interface TierFaults {
  /** After the object is uploaded and verified, before the catalog/delete transaction commits. */
  afterUpload?(key: string): Promise<void> | void;
  /** After compaction's merged object is verified, before its transaction commits. */
  afterCompactUpload?(key: string): Promise<void> | void;
}

/** Options of {@linkcode Tierer}. */
export interface TiererOptions {
  /** A connection of the hub's DuckDB instance, used by the tierer only. */
  connection: DuckDBConnection;
  store: ObjectStore;
  config: TierConfig;
  /** Local folder for Parquet being written (must be in DuckDB's allowed directories). */
  workDir: string;
  log: Logger;
  metrics?: TierMetrics;
  /** @default nowNs */
  now?: () => bigint;
  /** Most hour windows moved per kind and pass, so one pass stays short. @default 48 */
  maxWindowsPerPass?: number;
  faults?: TierFaults;
}

/** What one pass did. */
export interface PassReport {
  rowsTiered: number;
  objectsWritten: number;
  objectsCompacted: number;
  objectsExpired: number;
  garbageDeleted: number;
  /** Steps that failed (and will be retried next pass). */
  errors: string[];
}

/** Names of the tierer's work files and folders: `<uuid>.parquet`, `compact-<uuid>`. */
const WORK_ENTRY =
  /^(compact-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.parquet)?$/;

/** Raised when an uploaded object does not match the local file. */
export class VerifyError extends Error {
  override readonly name = "VerifyError";
}

/**
 * Moves old hot rows to the cold tier; see the module doc.
 *
 * @example
 * ```ts
 * const tierer = new Tierer({ connection, store, config, workDir, log });
 * await tierer.init();
 * const report = await tierer.runPass();
 * ```
 */
export class Tierer {
  readonly #db: DuckDBConnection;
  readonly #store: ObjectStore;
  readonly #config: TierConfig;
  readonly #workDir: string;
  readonly #log: Logger;
  readonly #metrics: TierMetrics;
  readonly #now: () => bigint;
  readonly #maxWindows: number;
  readonly #faults: TierFaults;

  constructor(options: TiererOptions) {
    this.#db = options.connection;
    this.#store = options.store;
    this.#config = options.config;
    this.#workDir = options.workDir;
    this.#log = options.log;
    this.#metrics = options.metrics ?? createTierMetrics();
    this.#now = options.now ?? nowNs;
    this.#maxWindows = options.maxWindowsPerPass ?? 48;
    this.#faults = options.faults ?? {};
  }

  /**
   * Creates the catalog tables and the work folder, and removes work files an
   * interrupted pass left there (only names the tierer writes).
   */
  async init(): Promise<void> {
    await ensureCatalog(this.#db);
    await Deno.mkdir(this.#workDir, { recursive: true });
    for await (const entry of Deno.readDir(this.#workDir)) {
      if (WORK_ENTRY.test(entry.name)) {
        await Deno.remove(join(this.#workDir, entry.name), { recursive: true }).catch(() => {});
      }
    }
  }

  /**
   * One full pass: garbage, tiering of every kind, compaction, cold
   * retention, garbage again. A failed step is logged, counted and left for
   * the next pass; the other steps still run.
   */
  async runPass(): Promise<PassReport> {
    const report: PassReport = {
      rowsTiered: 0,
      objectsWritten: 0,
      objectsCompacted: 0,
      objectsExpired: 0,
      garbageDeleted: 0,
      errors: [],
    };
    const step = async (name: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        this.#metrics.failures.inc({ step: name });
        const text = error instanceof Error ? error.message : String(error);
        report.errors.push(`${name}: ${text}`);
        this.#log.warn("tier step failed; retried next pass", { step: name, error: text });
      }
    };
    await step("cleanup", async () => {
      report.garbageDeleted += await this.deleteGarbage();
    });
    for (const kind of KINDS) {
      await step("tier", async () => {
        const { rows, objects } = await this.tierKind(kind);
        report.rowsTiered += rows;
        report.objectsWritten += objects;
      });
    }
    for (const kind of KINDS) {
      await step("compact", async () => {
        report.objectsCompacted += await this.compactKind(kind);
      });
      await step("retention", async () => {
        report.objectsExpired += await this.applyColdRetention(kind);
      });
    }
    await step("cleanup", async () => {
      report.garbageDeleted += await this.deleteGarbage();
    });
    return report;
  }

  /** The hot-retention cutoff of `kind`: rows with `ts` before it are tiered (whole hours). */
  cutoff(kind: Kind): bigint {
    const retention = BigInt(this.#config.kinds[kind].hot_retention_s) * 1_000_000_000n;
    return floorHour(this.#now() - retention);
  }

  /** Moves every whole hour of `kind` older than the cutoff (up to the per-pass limit). */
  async tierKind(kind: Kind): Promise<{ rows: number; objects: number }> {
    const cutoff = this.cutoff(kind);
    const reader = await this.#db.runAndReadAll(
      `SELECT DISTINCT (epoch_ns(ts) // ${HOUR_NS}) * ${HOUR_NS} AS hour
       FROM ${quoteIdent(kind)} WHERE ts < ${
        tsLiteral(cutoff)
      } ORDER BY hour LIMIT ${this.#maxWindows}`,
    );
    let rows = 0;
    let objects = 0;
    for (const [hour] of reader.getRows()) {
      const from = hour as bigint;
      const moved = await this.tierWindow(kind, from, from + HOUR_NS);
      rows += moved;
      if (moved > 0) objects++;
    }
    return { rows, objects };
  }

  /**
   * Moves the hot rows of `kind` with `from <= ts < to` into one object.
   *
   * @returns the rows moved (0 when the window was empty).
   * @throws when writing, uploading, verifying or committing fails (nothing is deleted then).
   */
  async tierWindow(kind: Kind, from: bigint, to: bigint): Promise<number> {
    const policy = this.#config.kinds[kind];
    const key = objectKey(kind, from, policy.partition);
    const file = join(this.#workDir, `${crypto.randomUUID()}.parquet`);
    await markPending(this.#db, key, "tier", this.#now());
    await this.#db.run("BEGIN TRANSACTION");
    try {
      const rows = await copyToParquet(this.#db, {
        select: hotWindowSql(kind, from, to),
        file,
        rowGroupRows: this.#config.row_group_rows,
      });
      if (rows === 0) {
        await this.#db.run("ROLLBACK");
        await clearPending(this.#db, key);
        return 0;
      }
      const stats = await parquetStats(this.#db, [file]);
      const uploaded = await this.#uploadVerified(key, file, {
        kind,
        rows: String(rows),
        min_ts: String(stats.minTs),
        max_ts: String(stats.maxTs),
      });
      await this.#faults.afterUpload?.(key);
      await insertObject(this.#db, {
        key,
        kind,
        partition: partitionPrefix(kind, from, policy.partition),
        minTs: stats.minTs,
        maxTs: stats.maxTs,
        rowCount: rows,
        sizeBytes: uploaded.size,
        sha256: uploaded.sha256,
        etag: uploaded.etag,
        storageClass: "STANDARD",
        createdAt: this.#now(),
      });
      const deleted = await this.#db.run(
        `DELETE FROM ${quoteIdent(kind)} WHERE ts >= ${tsLiteral(from)} AND ts < ${tsLiteral(to)}`,
      );
      if (deleted.rowsChanged !== rows) {
        throw new Error(
          `${key}: ${rows} rows written but ${deleted.rowsChanged} would be deleted; not committed`,
        );
      }
      await clearPending(this.#db, key);
      await this.#db.run("COMMIT");
      this.#metrics.rows.inc({ kind }, rows);
      this.#metrics.objects.inc({ kind, step: "tier" });
      this.#metrics.bytes.inc({ kind }, uploaded.size);
      this.#log.info("tiered", { kind, key, rows, bytes: uploaded.size });
      return rows;
    } catch (error) {
      await this.#db.run("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      await Deno.remove(file).catch(() => {});
    }
  }

  /**
   * Merges the small objects (below `compact_below_bytes`) of each partition
   * of `kind` into one. The new object's catalog row replaces the old ones in
   * one transaction; the old objects become garbage, deleted afterwards.
   *
   * @returns how many old objects were merged away.
   */
  async compactKind(kind: Kind): Promise<number> {
    const threshold = this.#config.compact_below_bytes;
    if (threshold <= 0) return 0;
    const small = (await listObjects(this.#db, { kinds: [kind], storageClass: "STANDARD" }))
      .filter((o) => o.sizeBytes < threshold);
    const byPartition = Map.groupBy(small, (o) => o.partition);
    let merged = 0;
    for (const [partition, objects] of byPartition) {
      if (objects.length < 2) continue;
      merged += await this.#compactPartition(kind, partition, objects.map((o) => o.key));
    }
    if (merged > 0) await this.deleteGarbage();
    return merged;
  }

  async #compactPartition(kind: Kind, partition: string, keys: string[]): Promise<number> {
    const dir = join(this.#workDir, `compact-${crypto.randomUUID()}`);
    await Deno.mkdir(dir, { recursive: true });
    try {
      const files: string[] = [];
      for (const [i, key] of keys.entries()) {
        const file = join(dir, `in-${i}.parquet`);
        await this.#store.download(key, file);
        files.push(file);
      }
      const before = await this.#catalogRows(keys);
      const out = join(dir, "out.parquet");
      const rows = await copyToParquet(this.#db, {
        select: `SELECT * FROM read_parquet([${files.map(sqlString).join(", ")}],
                 hive_partitioning = false) ORDER BY ${orderBy(kind)}`,
        file: out,
        rowGroupRows: this.#config.row_group_rows,
      });
      if (rows !== before) {
        throw new Error(
          `compaction of ${partition}: ${before} rows in, ${rows} out; not committed`,
        );
      }
      const stats = await parquetStats(this.#db, [out]);
      const hour = partition.match(/hour=(\d\d)/)?.[1];
      const start = floorHour(stats.minTs);
      const key = hour === undefined
        ? objectKey(kind, start - (start % DAY_NS), "date", "compact")
        : objectKey(kind, start, "hour", "compact");
      await markPending(this.#db, key, "compact", this.#now());
      const uploaded = await this.#uploadVerified(key, out, {
        kind,
        rows: String(rows),
        min_ts: String(stats.minTs),
        max_ts: String(stats.maxTs),
      });
      await this.#faults.afterCompactUpload?.(key);
      await this.#db.run("BEGIN TRANSACTION");
      try {
        const removed = await this.#db.run(
          `DELETE FROM tier_objects WHERE key IN (${keys.map(sqlString).join(", ")})`,
        );
        if (removed.rowsChanged !== keys.length) {
          throw new Error(`compaction of ${partition}: catalog changed meanwhile; not committed`);
        }
        await insertObject(this.#db, {
          key,
          kind,
          partition,
          minTs: stats.minTs,
          maxTs: stats.maxTs,
          rowCount: rows,
          sizeBytes: uploaded.size,
          sha256: uploaded.sha256,
          etag: uploaded.etag,
          storageClass: "STANDARD",
          createdAt: this.#now(),
        });
        for (const old of keys) await markPending(this.#db, old, "compacted", this.#now());
        await clearPending(this.#db, key);
        await this.#db.run("COMMIT");
      } catch (error) {
        await this.#db.run("ROLLBACK").catch(() => {});
        throw error;
      }
      this.#metrics.objects.inc({ kind, step: "compact" });
      this.#log.info("compacted", { kind, partition, key, objects: keys.length, rows });
      return keys.length;
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }

  /**
   * Cold retention of `kind`: objects whose newest row is older than
   * `cold_retention_days` are deleted (catalog row removed, object then
   * deleted as garbage) or archived (storage class changed; queries skip them).
   *
   * @returns how many objects were expired.
   */
  async applyColdRetention(kind: Kind): Promise<number> {
    const policy = this.#config.kinds[kind];
    if (policy.cold_retention_days === 0) return 0;
    const limit = this.#now() - BigInt(policy.cold_retention_days) * DAY_NS;
    const candidates = (await listObjects(this.#db, { kinds: [kind] })).filter((o) =>
      o.maxTs < limit && (policy.cold_action === "delete" || o.storageClass === "STANDARD")
    );
    if (candidates.length === 0) return 0;
    if (policy.cold_action === "delete") {
      await this.#db.run("BEGIN TRANSACTION");
      try {
        for (const o of candidates) {
          await this.#db.run(`DELETE FROM tier_objects WHERE key = $1`, [o.key]);
          await markPending(this.#db, o.key, "expired", this.#now());
        }
        await this.#db.run("COMMIT");
      } catch (error) {
        await this.#db.run("ROLLBACK").catch(() => {});
        throw error;
      }
      await this.deleteGarbage();
    } else {
      const storageClass = this.#config.s3.archive_storage_class;
      for (const o of candidates) {
        await this.#store.archive(o.key, storageClass);
        await this.#db.run(`UPDATE tier_objects SET storage_class = $1 WHERE key = $2`, [
          storageClass,
          o.key,
        ]);
      }
    }
    this.#metrics.expired.inc({ kind, action: policy.cold_action }, candidates.length);
    this.#log.info("cold retention", {
      kind,
      action: policy.cold_action,
      objects: candidates.length,
    });
    return candidates.length;
  }

  /**
   * Deletes objects that are pending but not in the catalog (left by an
   * interrupted upload, replaced by compaction, or expired), then their marks.
   *
   * @returns how many were deleted.
   */
  async deleteGarbage(): Promise<number> {
    await clearCommittedPending(this.#db);
    const keys = await garbageKeys(this.#db);
    for (const key of keys) {
      await this.#store.delete(key);
      await clearPending(this.#db, key);
    }
    if (keys.length > 0) this.#log.info("deleted unreferenced objects", { count: keys.length });
    return keys.length;
  }

  async #catalogRows(keys: string[]): Promise<number> {
    const reader = await this.#db.runAndReadAll(
      `SELECT coalesce(sum(row_count), 0) FROM tier_objects WHERE key IN (${
        keys.map(sqlString).join(", ")
      })`,
    );
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }

  /** Uploads `file` as `key`, then checks the store's size and ETag against the file. */
  async #uploadVerified(
    key: string,
    file: string,
    metadata: Record<string, string>,
  ): Promise<{ size: number; sha256: string; etag: string }> {
    const size = (await Deno.stat(file)).size;
    const sha256 = await sha256File(file);
    const etag = await this.#store.expectedEtag(file);
    await this.#store.put(key, file, { ...metadata, sha256 });
    const head = await this.#store.head(key);
    if (!head) throw new VerifyError(`${key}: not found after upload`);
    if (head.size !== size || head.etag !== etag) {
      throw new VerifyError(
        `${key}: store reports ${head.size} bytes, ETag ${head.etag}; expected ${size}, ${etag}`,
      );
    }
    return { size, sha256, etag };
  }
}
