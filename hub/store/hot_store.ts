/**
 * The hot store: the hub's DuckDB file, with one table per record kind, the
 * dedup ranges, per-agent totals and the quarantine.
 *
 * A batch and its dedup mark are committed in one transaction, so that a
 * batch seen again (the agent re-sent it because an acknowledgement was lost)
 * is recognised and stored once.
 *
 * @module
 */
import {
  blobValue,
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampNanosecondsValue,
} from "@duckdb/node-api";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { ChunkShape } from "@tributary/shared/sql/chunks";
import { type Batch, nowNs } from "@tributary/shared/records";
import { hubColumns, schemaStatements } from "./schema.ts";
import { checkBatch, CHUNK_ROWS, fillChunk } from "./batch_rows.ts";
import { type RollupConfig, Rollups } from "../rollups/mod.ts";
import { coversRange, mergeRanges, type SeqRange, uncoveredRows } from "./seq_coverage.ts";
import { dropCachedStatements, readCached, runCached } from "./statement_cache.ts";
import type { Heartbeat } from "@tributary/shared/heartbeat";
import {
  type AgentSummary,
  countStaleAgents,
  lastCommittedSeq,
  listAgents,
  type ListAgentsOptions,
  recordAgentStream,
  recordHeartbeat,
} from "./agents.ts";

/** Options of {@linkcode HotStore.open}. */
export interface HotStoreOptions {
  /** The DuckDB file, or `":memory:"` (tests). */
  path: string;
  /** Most bytes of a quarantined message kept in `quarantine.raw`. @default 1048576 */
  maxQuarantineRawBytes?: number;
  /**
   * Folders DuckDB may still read and write although external access is off
   * (DuckDB's `allowed_directories`): the Parquet tier's work folder and local
   * cache (hub/tier/). Nothing else becomes readable. @default []
   */
  allowedDirectories?: readonly string[];
  /** Clock in ns since the epoch. @default nowNs */
  now?: () => bigint;
  /** Rollups kept up to date in the ingest transaction (hub/rollups/). @default defaultRollupConfig() */
  rollups?: RollupConfig;
}

/** How a batch was taken. */
export type IngestOutcome = "inserted" | "duplicate" | "partial";

/** The result of {@linkcode HotStore.ingest}. */
export interface IngestResult {
  /** `inserted`: every row stored; `duplicate`: none (seen before); `partial`: only rows not seen before. */
  outcome: IngestOutcome;
  rowsInserted: number;
  rowsDuplicate: number;
}

/** A message the hub could not ingest. */
export interface QuarantineEntry {
  /** Which consumer received it, e.g. `mqtt`. */
  source: string;
  /** Topic (or key) it arrived on. */
  topic: string;
  /** Machine-readable reason, e.g. a WireError code or `topic_mismatch`. */
  reason: string;
  /** Human-readable detail (the error message). */
  detail: string;
  /** The message as received. */
  raw: Uint8Array;
}

/** Longest `quarantine.detail` kept, in characters. */
const MAX_DETAIL_CHARS = 2000;

/**
 * DuckDB error classes caused by the data rather than the database: retrying
 * the same batch would fail again, so these become permanent errors.
 */
const DATA_ERROR = /^(Conversion|Invalid Input|Constraint|Out of Range) Error/;

/**
 * The hub's DuckDB store. Writes go through one connection, one at a time;
 * readers get their own connection ({@linkcode HotStore.connect}).
 *
 * @example
 * ```ts
 * const store = await HotStore.open({ path: "./data/hub/hub.duckdb" });
 * const result = await store.ingest(batch, wireBytes.length);
 * await store.close();
 * ```
 */
export class HotStore {
  readonly #instance: DuckDBInstance;
  readonly #writer: DuckDBConnection;
  readonly #now: () => bigint;
  readonly #maxRawBytes: number;
  readonly #rollups: Rollups;
  /** Per table, its column types as DuckDB gave them at the first append. */
  readonly #shapes = new Map<string, ChunkShape>();
  /** Serializes writes: one DuckDB connection runs one statement at a time. */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    instance: DuckDBInstance,
    writer: DuckDBConnection,
    options: HotStoreOptions,
  ) {
    this.#instance = instance;
    this.#writer = writer;
    this.#now = options.now ?? nowNs;
    this.#maxRawBytes = options.maxQuarantineRawBytes ?? 1_048_576;
    this.#rollups = new Rollups(options.rollups);
  }

  /** The rollups maintained in the ingest transaction (their retention pass needs them). */
  get rollups(): Rollups {
    return this.#rollups;
  }

  /**
   * Runs `work` on the writer connection, after the write in progress and
   * before the next: for short maintenance writes (the rollup retention's
   * bounded DELETEs). Keep each call short: ingest waits for it.
   */
  withWriter<T>(work: (writer: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.#serialize(() => work(this.#writer));
  }

  /**
   * Opens (or creates) the DuckDB file and its tables.
   *
   * User queries run on the same instance, so external access (files, URLs,
   * extensions) is switched off: a SELECT cannot read `/etc/passwd` through
   * `read_csv`. The database file itself is opened before the switch.
   */
  static async open(options: HotStoreOptions): Promise<HotStore> {
    const allowed = options.allowedDirectories ?? [];
    // allowed_directories cannot be set once external access is off, nor
    // through the create options: set it first, then switch access off.
    const instance = await DuckDBInstance.create(
      options.path,
      allowed.length === 0 ? { enable_external_access: "false" } : {},
    );
    let writer: DuckDBConnection | undefined;
    try {
      writer = await instance.connect();
      if (allowed.length > 0) {
        const list = allowed.map((dir) => `'${dir.replaceAll("'", "''")}'`).join(", ");
        await writer.run(`SET allowed_directories = [${list}]`);
        await writer.run("SET enable_external_access = false");
      }
      for (const sql of schemaStatements()) await writer.run(sql);
      for (const sql of new Rollups(options.rollups).schemaStatements()) await writer.run(sql);
      return new HotStore(instance, writer, options);
    } catch (error) {
      writer?.closeSync();
      instance.closeSync();
      throw error;
    }
  }

  /**
   * Stores the rows of `batch` not stored before, and records its range, in
   * one transaction.
   *
   * @param wireBytes size of the message the batch came in, recorded in `ingested_batches.bytes`.
   * @throws {PermanentError} when the batch is malformed or DuckDB refuses its values.
   * @throws {RetryableError} on any other DuckDB failure (rolled back; try again later).
   */
  ingest(batch: Batch, wireBytes: number): Promise<IngestResult> {
    try {
      checkBatch(batch);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#serialize(() => this.#ingest(batch, wireBytes));
  }

  /**
   * Records a message that could not be ingested. The raw bytes are cut to
   * `maxQuarantineRawBytes`; `size` keeps the full length.
   *
   * @throws {RetryableError} when DuckDB fails.
   */
  quarantine(entry: QuarantineEntry): Promise<void> {
    return this.#serialize(async () => {
      try {
        await this.#writer.run(
          `INSERT INTO quarantine (received_at, source, topic, reason, detail, size, raw)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            new DuckDBTimestampNanosecondsValue(this.#now()),
            entry.source,
            entry.topic,
            entry.reason,
            entry.detail.slice(0, MAX_DETAIL_CHARS),
            BigInt(entry.raw.length),
            blobValue(entry.raw.subarray(0, this.#maxRawBytes)),
          ],
        );
      } catch (error) {
        throw new RetryableError("store_failed", `quarantine insert failed: ${message(error)}`, {
          cause: error,
        });
      }
    });
  }

  /** Every agent with per-stream totals and its latest heartbeat. */
  async agents(options: ListAgentsOptions = {}): Promise<AgentSummary[]> {
    const connection = await this.connect();
    try {
      return await listAgents(connection, options);
    } finally {
      connection.closeSync();
    }
  }

  /** How many agents have sent no heartbeat for more than `options.staleAfterS` (or none ever). */
  async staleAgentCount(options: ListAgentsOptions = {}): Promise<number> {
    const connection = await this.connect();
    try {
      return await countStaleAgents(connection, options);
    } finally {
      connection.closeSync();
    }
  }

  /**
   * Replaces the latest heartbeat of `hb.agent` (received now).
   *
   * @throws {RetryableError} when DuckDB fails.
   */
  recordHeartbeat(hb: Heartbeat): Promise<void> {
    return this.#serialize(async () => {
      try {
        await recordHeartbeat(this.#writer, hb, this.#now());
      } catch (error) {
        throw new RetryableError("store_failed", `heartbeat upsert failed: ${message(error)}`, {
          cause: error,
        });
      }
    });
  }

  /** A new connection for reading; the caller closes it with `closeSync()`. */
  connect(): Promise<DuckDBConnection> {
    if (this.#closed) {
      return Promise.reject(new RetryableError("store_closed", "the hot store is closed"));
    }
    return this.#instance.connect();
  }

  /** Waits for the write in progress, then closes DuckDB. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail.catch(() => {});
    dropCachedStatements(this.#writer);
    this.#writer.closeSync();
    this.#instance.closeSync();
  }

  #serialize<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new RetryableError("store_closed", "the hot store is closed"));
    }
    const run = this.#tail.then(work, work);
    this.#tail = run.catch(() => {});
    return run;
  }

  async #ingest(batch: Batch, wireBytes: number): Promise<IngestResult> {
    const db = this.#writer;
    await db.run("BEGIN TRANSACTION");
    try {
      const result = await this.#ingestInTransaction(batch, wireBytes);
      await db.run("COMMIT");
      return result;
    } catch (error) {
      try {
        await db.run("ROLLBACK");
      } catch {
        // A failed COMMIT has already rolled back; nothing left to undo.
      }
      if (error instanceof PermanentError || error instanceof RetryableError) throw error;
      const text = message(error);
      const where = `${batch.agent}/${batch.stream} [${batch.firstSeq}, ${batch.lastSeq}]`;
      if (DATA_ERROR.test(text)) {
        throw new PermanentError("store_rejected", `${where}: ${text}`, { cause: error });
      }
      throw new RetryableError("store_failed", `${where}: ${text}`, { cause: error });
    }
  }

  async #ingestInTransaction(batch: Batch, wireBytes: number): Promise<IngestResult> {
    const db = this.#writer;
    const now = this.#now();
    const covered = await this.#coveredRanges(batch);
    const seq = batch.columns.seq as BigInt64Array;
    let rows: ArrayLike<number> | undefined;
    if (covered.length > 0) {
      rows = coversRange(covered, batch.firstSeq, batch.lastSeq) ? [] : uncoveredRows(seq, covered);
    }
    const rowsInserted = rows ? rows.length : batch.rowCount;
    const rowsDuplicate = batch.rowCount - rowsInserted;
    const duplicate = covered.length > 0 && rowsInserted === 0;
    if (!duplicate) {
      await this.#appendRows(batch, rows, now);
      // Exactly the rows stored just now, so a duplicate is never rolled up twice.
      await this.#rollups.apply(db, batch, rows);
      await runCached(
        db,
        `INSERT INTO ingested_batches
           (agent, stream, first_seq, last_seq, row_count, bytes, committed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          batch.agent,
          batch.stream,
          batch.firstSeq,
          batch.lastSeq,
          BigInt(batch.rowCount),
          BigInt(wireBytes),
          new DuckDBTimestampNanosecondsValue(now),
        ],
      );
    }
    await recordAgentStream(db, {
      agent: batch.agent,
      stream: batch.stream,
      seenAt: now,
      rowsInserted,
      batches: duplicate ? 0 : 1,
      lastSeq: batch.lastSeq,
    });
    const outcome = duplicate ? "duplicate" : rowsDuplicate > 0 ? "partial" : "inserted";
    return { outcome, rowsInserted, rowsDuplicate };
  }

  /** Committed ranges of the batch's (agent, stream) that overlap its range, merged. */
  async #coveredRanges(batch: Batch): Promise<SeqRange[]> {
    // Batches mostly arrive in order: when the new range starts above every
    // committed one, the scan of ingested_batches is not needed.
    const last = await lastCommittedSeq(this.#writer, batch.agent, batch.stream);
    if (last === undefined || batch.firstSeq > last) return [];
    const reader = await readCached(
      this.#writer,
      `SELECT first_seq, last_seq FROM ingested_batches
       WHERE agent = $1 AND stream = $2 AND first_seq <= $3 AND last_seq >= $4`,
      [batch.agent, batch.stream, batch.lastSeq, batch.firstSeq],
    );
    const ranges = reader.getRows().map(([first, last]) => ({
      first: first as bigint,
      last: last as bigint,
    }));
    return mergeRanges(ranges);
  }

  /** Appends the batch rows at `rows` (all rows when undefined) in chunks of at most 2048. */
  async #appendRows(batch: Batch, rows: ArrayLike<number> | undefined, now: bigint): Promise<void> {
    const total = rows ? rows.length : batch.rowCount;
    if (total === 0) return;
    const columns = hubColumns(batch.stream);
    const appender = await this.#writer.createAppender(batch.stream);
    try {
      // The table's types, asked once per process (see shared/sql/chunks.ts).
      let shape = this.#shapes.get(batch.stream);
      if (shape === undefined) {
        shape = new ChunkShape(columns.map((_, i) => appender.columnType(i)));
        this.#shapes.set(batch.stream, shape);
      }
      for (let start = 0; start < total; start += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, total - start);
        const indices = new Uint32Array(n);
        for (let i = 0; i < n; i++) indices[i] = rows ? rows[start + i]! : start + i;
        const chunk = shape.create(n);
        fillChunk(shape, chunk, columns, batch, indices, { agent: batch.agent, ingestedAt: now });
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      try {
        appender.closeSync();
      } catch {
        // The append or flush error (already thrown) is the one worth reporting.
      }
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
