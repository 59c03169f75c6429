/**
 * The agent's store-and-forward buffer: one DuckDB file holding every record
 * not yet acknowledged, each kind's rows in segment tables of bounded size
 * (segments.ts) behind one view per kind.
 *
 * - `append` validates rows, assigns contiguous sequence numbers and commits
 *   rows and the new `next_seq` in ONE transaction; it resolves only after
 *   COMMIT, so an input may acknowledge its source once it resolves.
 * - `readBatch` returns the oldest rows after a cursor as a `Batch`, with
 *   bounded memory: each query is limited by a seq range and `LIMIT`, so the
 *   backlog is never loaded whole.
 * - `retire` deletes acknowledged rows (acks may come out of order).
 *
 * Writes go through one connection, reads through another, each serialized
 * (a DuckDB connection runs one query at a time).
 *
 * @module
 */
import {
  type DuckDBConnection,
  type DuckDBDataChunk,
  DuckDBInstance,
  DuckDBListVector,
  type DuckDBVector,
  listValue,
} from "@duckdb/node-api";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import {
  type QueryResult,
  type ReadOnlyQueryOptions,
  runReadOnlyQuery,
} from "@tributary/shared/sql/read_only_query";
import {
  type Batch,
  bodyColumns,
  type Columns,
  type ColumnSpec,
  type ColumnValues,
  type Kind,
  KINDS,
  nowNs,
  type RowOf,
} from "@tributary/shared/records";
import { approxRowsBytes, bufferDuckDBType, quoteIdent, schemaStatements } from "./schema.ts";
import { DEFAULT_SEGMENT_ROWS, SegmentLayout } from "./segments.ts";
import { validateRows } from "./rows.ts";
import { type InputCheckpoint, loadCheckpoint, saveCheckpoint } from "./checkpoints.ts";
import { insertQuarantined } from "./quarantine.ts";
import { SerialQueue } from "./serial.ts";
import { createHeapReclaimer } from "./heap_reclaim.ts";
import { ChunkShape } from "@tributary/shared/sql/chunks";
import {
  BudgetFullError,
  type BufferBudget,
  deleteRows,
  DROP_REASONS,
  DropTally,
  evictionOrder,
  evictRows,
  expireRows,
  measureRows,
  planDeletion,
  readDrops,
  runStatements,
  UNLIMITED_BUDGET,
} from "./budget.ts";

/** DuckDB's `memory_limit` of a writable buffer unless configured; see {@linkcode BufferOptions.memoryLimitMiB}. */
export const DEFAULT_MEMORY_LIMIT_MIB = 16;
/** Retired rows between explicit CHECKPOINTs; see {@linkcode BufferOptions.checkpointEveryRows}. */
export const DEFAULT_CHECKPOINT_EVERY_ROWS = 100_000;

/** Options of {@linkcode AgentBuffer.open}. */
export interface BufferOptions {
  /** Path of the DuckDB file; its folder is created when missing. `:memory:` for tests. */
  path: string;
  /** Agent id written into every batch read. */
  agent: string;
  /**
   * Open the file read-only (for `agent status` while no agent runs): no
   * schema changes, and every write method throws.
   * @default false
   */
  readOnly?: boolean;
  /**
   * Disk budget, drop policy and priority classes (see budget.ts).
   * @default unlimited: nothing is ever dropped
   */
  budget?: Partial<BufferBudget>;
  /**
   * Run `CHECKPOINT` after this many rows were retired since the last one:
   * DuckDB keeps the version info of deleted rows in memory until a
   * checkpoint, and deletes alone rarely fill the WAL enough to trigger one.
   * Every 1M rows this version info made a ~25–30 MiB sawtooth in a drain's
   * RSS; every 500k halves it. Every 100k lets a 16 MiB `memory_limit` hold
   * through a drain (with 500k, a retire's commit ran out and raised it).
   * 0 never checkpoints explicitly.
   * @default 100000
   */
  checkpointEveryRows?: number;
  /**
   * DuckDB's `memory_limit` for a writable buffer, in MiB: caps its block
   * cache and the transient memory of a checkpoint (a drain measured a +90 MiB
   * spike at one checkpoint uncapped, +35 with 64). A drain reads each block
   * once, but DuckDB keeps the blocks of the row groups being drained until a
   * checkpoint drops them or the limit evicts them: +9–14 MiB at 64, +3 at 16
   * (docs/benchmarks.md, session 6). The buffer's own queries need a few MiB;
   * a larger operator query spills to `<file>.tmp`.
   * When DuckDB still runs out of memory (an operator's big query, more
   * columns than measured), the buffer doubles the limit, up to 8× this, and
   * the failed call is retried as any retryable one: a low limit must never
   * stall a drain (one of 32 MB did in session 1, before the checkpoints).
   * @default 16
   */
  memoryLimitMiB?: number;
  /**
   * Called once when DuckDB has invalidated the database after a fatal error
   * (e.g. a failed checkpoint): every later call fails until the file is
   * opened again, so the agent exits and its service manager restarts it;
   * DuckDB then recovers the file from its last checkpoint and WAL.
   */
  onFatal?: (error: string) => void;
  /** Called after the buffer raised DuckDB's memory limit (see `memoryLimitMiB`). */
  onMemoryLimitRaised?: (raise: { fromMiB: number; toMiB: number; error: string }) => void;
  /**
   * Seqs per segment table (see segments.ts): a stream's appends start a new
   * table once the newest spans this many, and a table whose rows are all
   * gone is dropped whole, so a drain's checkpoints write two bounded tables
   * per stream whatever the backlog.
   * @default 983040 (8 DuckDB row groups)
   */
  segmentRows?: number;
  /**
   * Extra DuckDB settings of a writable buffer, e.g. `{ threads: "1" }`
   * (bench/buffer_memory_probe.ts compares them); they win over the above.
   * @default none
   */
  duckdbSettings?: Record<string, string>;
}

/** An inclusive range of sequence numbers. */
export interface SeqRange {
  firstSeq: bigint;
  lastSeq: bigint;
}

/** What {@linkcode AgentBuffer.append} resolves with. */
export interface AppendResult extends SeqRange {
  /**
   * Set when the budget refused these rows (`budget_full`, policy
   * `drop_newest`): they were counted as dropped, not stored.
   */
  refused?: string;
}

/** Options of {@linkcode AgentBuffer.append}. */
export interface AppendOptions {
  /**
   * The input's source position after these rows, committed in the same
   * transaction (alone when `rows` is empty); read back with
   * {@linkcode AgentBuffer.readCheckpoint}.
   */
  checkpoint?: InputCheckpoint;
}

/** Options of {@linkcode AgentBuffer.readBatch}. */
export interface ReadBatchOptions {
  /** Read no row with a seq above this (to resend a batch with exactly its old bounds). */
  throughSeq?: bigint;
}

/** Options of {@linkcode AgentBuffer.retire}. */
export interface RetireOptions {
  /**
   * Count the deleted rows as acknowledged (`acked_rows`); false when rows are
   * discarded because they can never be sent.
   * @default true
   */
  acknowledged?: boolean;
  /**
   * With `acknowledged: false`: count the deleted rows as dropped under this
   * reason (in `stream_drops`, so the count survives a restart).
   */
  dropReason?: string;
}

/** Figures of one stream, as `status` and `/metrics` show them. */
export interface StreamStats {
  /** Rows in the buffer not yet acknowledged (in flight included). */
  backlog_rows: number;
  /** Approximate raw size of those rows, in bytes. */
  backlog_bytes: number;
  /** Age of the oldest unacknowledged row by its recv_ts, in seconds; 0 if none. */
  oldest_unsent_age_s: number;
  /** The sequence number the next appended row gets. */
  next_seq: number;
  /** Rows acknowledged and retired since the buffer file was created. */
  acked_rows: number;
  /**
   * Rows dropped since the buffer file was created, by reason (e.g.
   * `budget_evicted`, `max_age`, and the shipper's `too_large` or hub
   * rejections such as `schema_mismatch`).
   */
  dropped: Record<string, number>;
}

/** The budget's verdict on one append. */
interface Admission {
  tally: DropTally;
  /** Gives back the read queue; call after COMMIT or ROLLBACK. */
  release: () => void;
  /** The drop reason when the rows were refused. */
  refused?: string;
}

/** A DataChunk holds at most this many rows (DuckDB's vector size). */
const CHUNK_ROWS = 2048;

/** The store-and-forward buffer. Create with {@linkcode AgentBuffer.open}. */
export class AgentBuffer {
  readonly #instance: DuckDBInstance;
  readonly #writer: DuckDBConnection | undefined;
  readonly #reader: DuckDBConnection;
  readonly #writes = new SerialQueue();
  readonly #reads = new SerialQueue();
  readonly #nextSeq: Map<Kind, bigint>;
  readonly #agent: string;
  #closed = false;
  readonly #budget: BufferBudget;
  /** Approximate bytes buffered per stream (see budget.ts); updated after each COMMIT. */
  readonly #bytes: Map<Kind, number>;
  /** Rows buffered per stream; kept like `#bytes`, so `stats()` need not count them. */
  readonly #rows: Map<Kind, number>;
  /** Per stream, a seq below every buffered row (rows only leave; new ones get higher seqs). */
  readonly #oldestBelow = new Map<Kind, bigint>();
  /** Highest seq per stream read for a batch (or pending): rows up to it are never dropped. */
  readonly #claimed: Map<Kind, bigint>;
  readonly #spaceWaiters = new Set<() => void>();
  #expireTimer: ReturnType<typeof setInterval> | undefined;
  #checkpointEveryRows = DEFAULT_CHECKPOINT_EVERY_ROWS;
  #memoryLimitMiB = DEFAULT_MEMORY_LIMIT_MIB;
  #maxMemoryLimitMiB = DEFAULT_MEMORY_LIMIT_MIB * 8;
  #onMemoryLimitRaised: BufferOptions["onMemoryLimitRaised"];
  #onFatal: BufferOptions["onFatal"];
  #fatal = false;
  #retiredSinceCheckpoint = 0;
  readonly #segments: SegmentLayout;
  #segmentRows = DEFAULT_SEGMENT_ROWS;

  private constructor(
    instance: DuckDBInstance,
    writer: DuckDBConnection | undefined,
    reader: DuckDBConnection,
    agent: string,
    nextSeq: Map<Kind, bigint>,
    segments: SegmentLayout,
    budgetState: {
      budget: BufferBudget;
      bytes: Map<Kind, number>;
      rows: Map<Kind, number>;
      claimed: Map<Kind, bigint>;
    },
  ) {
    this.#instance = instance;
    this.#writer = writer;
    this.#reader = reader;
    this.#agent = agent;
    this.#nextSeq = nextSeq;
    this.#segments = segments;
    this.#budget = budgetState.budget;
    this.#bytes = budgetState.bytes;
    this.#rows = budgetState.rows;
    this.#claimed = budgetState.claimed;
    if (writer !== undefined && this.#budget.maxAgeS > 0) {
      this.#expireTimer = setInterval(() => {
        this.dropExpired().catch(() => {
          // Counted as nothing dropped; the next round tries again.
        });
      }, this.#budget.expireIntervalMs);
    }
  }

  /**
   * Opens (or creates) the buffer file and brings its schema up to date.
   *
   * @throws {RetryableError} reason `buffer_open` when DuckDB cannot open the
   * file (e.g. another process holds it).
   */
  static async open(options: BufferOptions): Promise<AgentBuffer> {
    const configured = options.memoryLimitMiB ?? DEFAULT_MEMORY_LIMIT_MIB;
    // DuckDB replays the WAL at open, and the tables it fills stay in memory
    // until the next checkpoint: after a crash that may need more than the
    // limit. Refusing to open would stop the agent for good (its service
    // manager restarts it into the same failure), so the limit doubles, up to
    // 8x, as for any other call that runs out.
    for (let limit = configured;; limit *= 2) {
      try {
        const buffer = await AgentBuffer.#openWith(options, limit);
        buffer.#maxMemoryLimitMiB = configured * 8;
        return buffer;
      } catch (error) {
        const text = errorText(error);
        if (options.readOnly || !OUT_OF_MEMORY.test(text) || limit * 2 > configured * 8) {
          throw error;
        }
        options.onMemoryLimitRaised?.({ fromMiB: limit, toMiB: limit * 2, error: text });
      }
    }
  }

  static async #openWith(options: BufferOptions, memoryLimitMiB: number): Promise<AgentBuffer> {
    const readOnly = options.readOnly ?? false;
    if (!readOnly && options.path !== ":memory:") {
      await mkdir(dirname(options.path), { recursive: true });
    }
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(
        options.path,
        // Operators run SQL here (`agent query`): no SELECT may read other files or URLs.
        readOnly ? { access_mode: "READ_ONLY", enable_external_access: "false" } : {
          enable_external_access: "false",
          memory_limit: `${memoryLimitMiB}MiB`,
          // No vacuum: at checkpoint DuckDB would rewrite row groups that lost
          // rows, which took +40-50 MiB for a second or two once one stream
          // drained alone. Rows leave in seq order, so a row group ends fully
          // deleted and is dropped anyway; at most a few partly deleted ones
          // stay (bench/buffer_refill_probe.ts: ~20 blocks more, bounded).
          max_vacuum_tasks: "0",
          ...options.duckdbSettings,
        },
      );
    } catch (cause) {
      throw new RetryableError(
        "buffer_open",
        `cannot open buffer ${options.path}: ${errorText(cause)}`,
        { cause },
      );
    }
    const connections: DuckDBConnection[] = [];
    try {
      const reader = await instance.connect();
      connections.push(reader);
      let writer: DuckDBConnection | undefined;
      if (!readOnly) {
        writer = await instance.connect();
        connections.push(writer);
        for (const sql of schemaStatements()) await writer.run(sql);
      }
      const segments = await SegmentLayout.load(reader, writer);
      const nextSeq = new Map<Kind, bigint>();
      const rows = (await reader.runAndReadAll("SELECT stream, next_seq FROM streams")).getRows();
      for (const [stream, next] of rows) {
        if (KINDS.includes(stream as Kind) && typeof next === "bigint") {
          nextSeq.set(stream as Kind, next);
        }
      }
      const budget = { ...UNLIMITED_BUDGET, ...options.budget };
      const { rows: rowCounts, bytes } = await readBacklogTotals(reader, writer);
      const claimed = new Map<Kind, bigint>();
      const pending = (await reader.runAndReadAll(
        "SELECT stream, max(last_seq) FROM pending_batches GROUP BY stream",
      )).getRows();
      for (const [stream, last] of pending) {
        if (KINDS.includes(stream as Kind) && typeof last === "bigint") {
          claimed.set(stream as Kind, last);
        }
      }
      const buffer = new AgentBuffer(instance, writer, reader, options.agent, nextSeq, segments, {
        budget,
        bytes,
        rows: rowCounts,
        claimed,
      });
      buffer.#checkpointEveryRows = options.checkpointEveryRows ?? DEFAULT_CHECKPOINT_EVERY_ROWS;
      buffer.#segmentRows = options.segmentRows ?? DEFAULT_SEGMENT_ROWS;
      buffer.#memoryLimitMiB = memoryLimitMiB;
      buffer.#onMemoryLimitRaised = options.onMemoryLimitRaised;
      buffer.#onFatal = options.onFatal;
      return buffer;
    } catch (cause) {
      for (const c of connections) c.closeSync();
      instance.closeSync();
      throw new RetryableError(
        "buffer_open",
        `cannot prepare buffer ${options.path}: ${errorText(cause)}`,
        { cause },
      );
    }
  }

  /**
   * Validates `rows`, assigns them the next contiguous sequence numbers and
   * commits them (with `options.checkpoint`, if any) in one transaction.
   * Resolves after COMMIT with the seq range
   * given, or `undefined` when `rows` is empty.
   *
   * The budget (see budget.ts) applies in the same transaction: under
   * `drop_oldest` older unsent rows may be evicted; under `drop_newest` the
   * rows may be refused (resolves with `refused: "budget_full"`, the rows
   * counted as dropped); under `block` it waits for space.
   *
   * @throws {PermanentError} reason `invalid_row` naming the bad row and field (nothing is written).
   * @throws {RetryableError} reason `buffer_write` when DuckDB fails, e.g. a
   * full disk (nothing is written); {@linkcode BudgetFullError} (reason
   * `budget_full`) when policy `block` waited `blockTimeoutMs` in vain.
   */
  async append<K extends Kind>(
    kind: K,
    rows: readonly RowOf[K][],
    options: AppendOptions = {},
  ): Promise<AppendResult | undefined> {
    validateRows(kind, rows);
    const checkpoint = options.checkpoint;
    if (rows.length === 0) {
      if (checkpoint !== undefined) {
        await this.#write("buffer_write", (conn) => saveCheckpoint(conn, checkpoint));
      }
      return undefined;
    }
    // Measured once, outside the write queue, however often policy `block` retries.
    const bytes = approxRowsBytes(kind, rows);
    const deadline = performance.now() + this.#budget.blockTimeoutMs;
    for (let waitFor = 0;;) {
      // Policy `block`: wait outside the write queue, so retires can free space meanwhile.
      if (waitFor > 0) await this.#waitForSpace(kind, waitFor, deadline);
      try {
        return await this.#appendOnce(kind, rows, bytes, checkpoint);
      } catch (error) {
        if (!(error instanceof BudgetFullError) || performance.now() >= deadline) throw error;
        waitFor = error.bytes;
      }
    }
  }

  #appendOnce<K extends Kind>(
    kind: K,
    rows: readonly RowOf[K][],
    bytes: number,
    checkpoint: InputCheckpoint | undefined,
  ): Promise<AppendResult> {
    return this.#write("buffer_write", async (conn) => {
      const firstSeq = this.#nextSeq.get(kind) ?? 1n;
      const next = firstSeq + BigInt(rows.length);
      const rolledOver = await this.#segments.rollOver(conn, kind, firstSeq, this.#segmentRows);
      const segment = this.#segments.newest(kind);
      let admission: Admission | undefined;
      // Three DuckDB calls besides the appender's (a fourth with an input
      // checkpoint), not six plus a measuring query: every call leaks its N-API
      // externals (shared/sql/chunks.ts), and inputs append many times a
      // second (docs/benchmarks.md, "A live agent (session 10)").
      try {
        await runStatements(conn, [
          "BEGIN TRANSACTION",
          `UPDATE streams SET next_seq = ${next} WHERE stream = '${kind}'`,
        ]);
        const appender = await conn.createAppender(segment.table);
        try {
          for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
            const count = Math.min(CHUNK_ROWS, rows.length - start);
            appender.appendDataChunk(buildChunk(kind, rows, start, count, firstSeq));
          }
          appender.flushSync();
        } catch (error) {
          try {
            appender.closeSync();
          } catch {
            // The failed append aborted the transaction, so close fails too;
            // the error worth reporting (e.g. out of memory) is the first.
          }
          throw error;
        }
        appender.closeSync();
        admission = await this.#admit(conn, kind, firstSeq, next - 1n, bytes);
        if (checkpoint !== undefined) await saveCheckpoint(conn, checkpoint);
        await runStatements(conn, [...admission.tally.statements(), "COMMIT"]);
      } catch (error) {
        await rollback(conn);
        throw error;
      } finally {
        admission?.release();
      }
      this.#nextSeq.set(kind, next);
      // An eviction may have emptied a segment, or the new one left the old newest empty.
      if (this.#applyTally(admission.tally) || rolledOver) await this.#dropEmptySegments(conn);
      const range = { firstSeq, lastSeq: next - 1n };
      return admission.refused === undefined ? range : { ...range, refused: admission.refused };
    });
  }

  /**
   * Applies the budget to rows just inserted (seq `firstSeq`..`lastSeq`, not
   * yet committed, `added` bytes by {@linkcode approxRowsBytes}): when the buffer would exceed
   * `max_bytes`, evicts, refuses or (policy `block`) throws
   * {@linkcode BudgetFullError}. While rows may be evicted it holds the read
   * queue until the caller's COMMIT or ROLLBACK (`release`), so no batch can
   * read a row that is being dropped.
   */
  async #admit(
    conn: DuckDBConnection,
    kind: Kind,
    firstSeq: bigint,
    lastSeq: bigint,
    added: number,
  ): Promise<Admission> {
    const tally = new DropTally();
    const segment = this.#segments.newest(kind);
    tally.addBytes(kind, added);
    tally.addRows(kind, Number(lastSeq - firstSeq + 1n));
    tally.addSegmentRows(segment, Number(lastSeq - firstSeq + 1n));
    const budget = this.#budget;
    const used = this.#usedBytes();
    const over = used + added - budget.maxBytes;
    if (over <= 0) return { tally, release: () => {} };
    if (budget.policy === "block") {
      // An empty buffer takes any write: else one larger than max_bytes would wait forever.
      if (used > 0) throw new BudgetFullError(kind, added, budget.maxBytes);
      return { tally, release: () => {} };
    }
    const release = await this.#holdReads();
    try {
      const lastOf = (k: Kind) => k === kind ? lastSeq : this.lastAssignedSeq(k);
      const order = evictionOrder(budget.priorities);
      if (budget.policy === "drop_oldest") {
        await this.#evict(conn, tally, order, over, false, lastOf);
        return { tally, release };
      }
      // drop_newest: only strictly lower classes make room; else the write is refused.
      const mine = budget.priorities[kind];
      const lower = order.filter((c) => budget.priorities[c[0]!] > mine);
      let droppable = 0;
      for (const k of lower.flat()) {
        const inFlight = (await measureRows(conn, k, `seq <= ${this.#floor(k)}`)).bytes;
        droppable += (this.#bytes.get(k) ?? 0) - inFlight;
      }
      if (droppable >= over) {
        await this.#evict(conn, tally, lower, over, true, lastOf);
        return { tally, release };
      }
      const gone = await deleteRows(conn, this.#segments, kind, {
        from: firstSeq,
        to: lastSeq,
      }, tally);
      tally.drop(kind, DROP_REASONS.budgetFull, gone.rows);
      return { tally, release, refused: DROP_REASONS.budgetFull };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Evicts `bytes` of unsent rows, class by class in `classes` order, the largest stream of a class first. */
  async #evict(
    conn: DuckDBConnection,
    tally: DropTally,
    classes: Kind[][],
    bytes: number,
    newestFirst: boolean,
    lastOf: (kind: Kind) => bigint,
  ): Promise<void> {
    let left = bytes;
    const size = (k: Kind) => (this.#bytes.get(k) ?? 0) + (tally.bytes.get(k) ?? 0);
    for (const streams of classes) {
      for (const k of [...streams].sort((a, b) => size(b) - size(a))) {
        if (left <= 0) return;
        const freed = await evictRows(conn, this.#segments, k, {
          floor: this.#floor(k),
          lastSeq: lastOf(k),
          bytes: left,
          newestFirst,
        }, tally);
        tally.drop(k, DROP_REASONS.budgetEvicted, freed.rows);
        left -= freed.bytes;
      }
    }
  }

  /**
   * Drops the unsent rows whose recv_ts is older than `max_age_s` before
   * `now` (reason `max_age`); runs by itself every `expireIntervalMs` when
   * `max_age_s` > 0. Resolves with the rows dropped per stream.
   */
  dropExpired(now: bigint = nowNs()): Promise<Partial<Record<Kind, number>>> {
    const maxAgeS = this.#budget.maxAgeS;
    if (maxAgeS <= 0) return Promise.resolve({});
    const cutoff = now - BigInt(Math.round(maxAgeS * 1e9));
    return this.#write("buffer_write", async (conn) => {
      const tally = new DropTally();
      const out: Partial<Record<Kind, number>> = {};
      const release = await this.#holdReads();
      try {
        await conn.run("BEGIN TRANSACTION");
        try {
          for (const kind of KINDS) {
            const gone = await expireRows(conn, this.#segments, kind, {
              floor: this.#floor(kind),
              lastSeq: this.lastAssignedSeq(kind),
              cutoffNs: cutoff,
            }, tally);
            if (gone.rows === 0) continue;
            out[kind] = gone.rows;
            tally.drop(kind, DROP_REASONS.maxAge, gone.rows);
          }
          await tally.save(conn);
          await conn.run("COMMIT");
        } catch (error) {
          await rollback(conn);
          throw error;
        }
        if (this.#applyTally(tally)) await this.#dropEmptySegments(conn, false);
      } finally {
        release();
      }
      return out;
    });
  }

  /** Approximate bytes of every buffered row, as the budget counts them. */
  usedBytes(): number {
    return this.#usedBytes();
  }

  #usedBytes(): number {
    let total = 0;
    for (const b of this.#bytes.values()) total += b;
    return total;
  }

  /** Rows with seq <= this are read for a batch or pending: never dropped. */
  #floor(kind: Kind): bigint {
    return this.#claimed.get(kind) ?? 0n;
  }

  /** Takes the read queue; resolves with the function that gives it back. */
  #holdReads(): Promise<() => void> {
    return new Promise((acquired) => {
      this.#reads.run(() => new Promise<void>((release) => acquired(() => release())));
    });
  }

  /**
   * Drops the segment tables whose rows are all gone (segments.ts), after a
   * COMMIT that took a segment's last row. Holds the read queue meanwhile (unless the
   * caller already does): a read planned on a dropped table would fail.
   * A failure leaves them for the next drop or the next open; the rows are
   * gone either way.
   */
  async #dropEmptySegments(conn: DuckDBConnection, holdReads = true): Promise<void> {
    if (this.#segments.empty().length === 0) return;
    const release = holdReads ? await this.#holdReads() : () => {};
    try {
      await this.#segments.dropEmpty(conn);
    } catch {
      // E.g. out of memory: the next delete tries again.
    } finally {
      release();
    }
  }

  /**
   * Applies a committed transaction's changes to the in-memory counts.
   * Returns whether a segment lost its last row (see #dropEmptySegments).
   */
  #applyTally(tally: DropTally): boolean {
    let freed = false;
    for (const [kind, delta] of tally.bytes) {
      this.#bytes.set(kind, (this.#bytes.get(kind) ?? 0) + delta);
      if (delta < 0) freed = true;
    }
    for (const [kind, delta] of tally.rows) {
      this.#rows.set(kind, Math.max(0, (this.#rows.get(kind) ?? 0) + delta));
    }
    let emptied = false;
    for (const [segment, delta] of tally.segments) {
      segment.rows = Math.max(0, segment.rows + delta);
      if (delta < 0 && segment.rows === 0) emptied = true;
    }
    if (freed) { for (const wake of [...this.#spaceWaiters]) wake(); }
    return emptied;
  }

  /** Waits until `bytes` more fit (or the buffer is empty or closed); throws {@linkcode BudgetFullError} at `deadline`. */
  async #waitForSpace(kind: Kind, bytes: number, deadline: number): Promise<void> {
    const max = this.#budget.maxBytes;
    while (!this.#closed && this.#usedBytes() > 0 && this.#usedBytes() + bytes > max) {
      const left = deadline - performance.now();
      if (left <= 0) throw new BudgetFullError(kind, bytes, max);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#spaceWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.#spaceWaiters.add(done);
      });
    }
  }

  /**
   * Reads up to `maxRows` of the oldest rows of `kind` with seq > `afterSeq`
   * (and <= `options.throughSeq`), oldest first, or `undefined` when there are none.
   *
   * Memory is bounded by `maxRows`: rows are fetched in seq windows, each query
   * limited, so a backlog of any size is never loaded whole.
   */
  async readBatch(
    kind: Kind,
    afterSeq: bigint,
    maxRows: number,
    options: ReadBatchOptions = {},
  ): Promise<Batch | undefined> {
    if (!Number.isInteger(maxRows) || maxRows < 1) {
      throw new RangeError(`readBatch: maxRows must be a positive integer, got ${maxRows}`);
    }
    return await this.#read(async (conn) => {
      const specs = bodyColumns(kind);
      const lastAssigned = (this.#nextSeq.get(kind) ?? 1n) - 1n;
      const limit = options.throughSeq !== undefined && options.throughSeq < lastAssigned
        ? options.throughSeq
        : lastAssigned;
      // At most one row per seq in (afterSeq, limit]: columns are allocated once at that size.
      const span = limit > afterSeq ? limit - afterSeq : 0n;
      const capacity = span < BigInt(maxRows) ? Number(span) : maxRows;
      const collectors = specs.map((spec) => createCollector(spec, capacity));
      const shape = chunkShape(kind);
      const select = specs.map((c) => quoteIdent(c.name)).join(", ");
      let from = afterSeq;
      let wanted = maxRows;
      let window = BigInt(maxRows);
      // Seq windows let DuckDB skip row groups by their min/max statistics;
      // a window that finds nothing (a gap left by out-of-order acks) doubles.
      while (wanted > 0 && from < limit) {
        // Each query reads one segment table: the window ends where its segment does.
        const span = this.#segments.nextSpan(kind, from, window, limit);
        if (span === undefined) break;
        from = span.from - 1n;
        const to = span.to;
        // Materialized (at most `wanted` rows) rather than streamed: a streamed
        // query creates four more N-API externals, each of which Deno leaks
        // (see shared/sql/chunks.ts).
        const result = await conn.run(
          `SELECT ${select} FROM ${span.segment.table} WHERE seq > ${from} AND seq <= ${to} ` +
            `ORDER BY seq LIMIT ${wanted}`,
        );
        let got = 0;
        for (;;) {
          const chunk = await result.fetchChunk();
          if (chunk === null || chunk.rowCount === 0) break;
          for (let i = 0; i < collectors.length; i++) {
            collectors[i]!.push(shape.vector(chunk, i), chunk.rowCount);
          }
          got += chunk.rowCount;
        }
        wanted -= got;
        from = to;
        window = got === 0 ? window * 2n : BigInt(maxRows);
      }
      reclaimHeap();
      const rowCount = maxRows - wanted;
      if (rowCount === 0) return undefined;
      const columns: Columns = {};
      specs.forEach((spec, i) => columns[spec.name] = collectors[i]!.finish());
      const seq = columns.seq as BigInt64Array;
      // Rows read for a batch are no longer droppable (see #admit).
      if (seq[rowCount - 1]! > this.#floor(kind)) this.#claimed.set(kind, seq[rowCount - 1]!);
      return {
        agent: this.#agent,
        stream: kind,
        firstSeq: seq[0]!,
        lastSeq: seq[rowCount - 1]!,
        rowCount,
        columns,
      };
    });
  }

  /**
   * Records that the batch `range` of `kind` was handed to the transport, so
   * that after a failure or a restart it is resent with exactly these bounds.
   */
  markPending(kind: Kind, range: SeqRange): Promise<void> {
    return this.#write("buffer_write", async (conn) => {
      await conn.run(
        `INSERT INTO pending_batches VALUES ('${kind}', ${range.firstSeq}, ${range.lastSeq})`,
      );
    });
  }

  /**
   * Replaces the pending batch `range` by the given smaller ranges (after the
   * transport refused it as too large), in one transaction.
   */
  replacePending(kind: Kind, range: SeqRange, parts: readonly SeqRange[]): Promise<void> {
    return this.#write("buffer_write", async (conn) => {
      await conn.run("BEGIN TRANSACTION");
      try {
        await conn.run(
          `DELETE FROM pending_batches WHERE stream = '${kind}' AND first_seq = ${range.firstSeq} AND last_seq = ${range.lastSeq}`,
        );
        for (const p of parts) {
          await conn.run(
            `INSERT INTO pending_batches VALUES ('${kind}', ${p.firstSeq}, ${p.lastSeq})`,
          );
        }
        await conn.run("COMMIT");
      } catch (error) {
        await rollback(conn);
        throw error;
      }
    });
  }

  /** The pending batch ranges of `kind`, oldest first. */
  pendingRanges(kind: Kind): Promise<SeqRange[]> {
    return this.#read(async (conn) => {
      const reader = await conn.runAndReadAll(
        `SELECT first_seq, last_seq FROM pending_batches WHERE stream = '${kind}' ORDER BY first_seq`,
      );
      return reader.getRows().map(([firstSeq, lastSeq]) => ({
        firstSeq: firstSeq as bigint,
        lastSeq: lastSeq as bigint,
      }));
    });
  }

  /**
   * Deletes the rows of `kind` with seq in [firstSeq, lastSeq] and the pending
   * marks inside that range, and (unless `acknowledged: false`) adds them to
   * `acked_rows`, in one transaction. Idempotent; ranges may come in any order.
   * Resolves with the number of rows deleted.
   */
  retire(
    kind: Kind,
    firstSeq: bigint,
    lastSeq: bigint,
    options: RetireOptions = {},
  ): Promise<number> {
    return this.#write("buffer_write", async (conn) => {
      const tally = new DropTally();
      await conn.run("BEGIN TRANSACTION");
      let count: number;
      try {
        const gone = await planDeletion(conn, this.#segments, kind, {
          from: firstSeq,
          to: lastSeq,
        }, tally);
        count = gone.rows;
        const statements = gone.statements;
        if (options.acknowledged ?? true) {
          statements.push(
            `UPDATE streams SET acked_rows = acked_rows + ${count} WHERE stream = '${kind}'`,
          );
        } else if (options.dropReason !== undefined) {
          tally.drop(kind, options.dropReason, count);
        }
        statements.push(
          ...tally.statements(),
          `DELETE FROM pending_batches WHERE stream = '${kind}' AND first_seq >= ${firstSeq} AND last_seq <= ${lastSeq}`,
          "COMMIT",
        );
        await runStatements(conn, statements);
      } catch (error) {
        await rollback(conn);
        throw error;
      }
      if (this.#applyTally(tally)) await this.#dropEmptySegments(conn);
      this.#retiredSinceCheckpoint += count;
      const every = this.#checkpointEveryRows;
      if (every > 0 && this.#retiredSinceCheckpoint >= every) {
        try {
          await conn.run("CHECKPOINT");
          this.#retiredSinceCheckpoint = 0;
        } catch {
          // E.g. another transaction is active: the next retire tries again.
        }
      }
      return count;
    });
  }

  /** The committed checkpoint position of (`input`, `name`), or `undefined` when none. */
  readCheckpoint(input: string, name: string): Promise<string | undefined> {
    return this.#read((conn) => loadCheckpoint(conn, input, name));
  }

  /**
   * Keeps `rows` that input `input` refused aside in the `quarantine` table
   * with `reason`; they are never shipped (see quarantine.ts).
   */
  quarantine(input: string, kind: Kind, rows: readonly unknown[], reason: string): Promise<void> {
    return this.#write(
      "buffer_write",
      (conn) => insertQuarantined(conn, { input, stream: kind, reason, rows, at: nowNs() }),
    );
  }

  /** The last sequence number assigned for `kind` (0 when none yet). */
  lastAssignedSeq(kind: Kind): bigint {
    return (this.#nextSeq.get(kind) ?? 1n) - 1n;
  }

  /**
   * Per-stream backlog figures. Cheap enough for every heartbeat and scrape:
   * row and byte counts are kept in memory, and the oldest row is found by seq
   * from below the last one seen, so DuckDB skips the row groups before it.
   */
  stats(): Promise<Record<Kind, StreamStats>> {
    return this.#read(async (conn) => {
      const now = nowNs();
      const streams = (await conn.runAndReadAll("SELECT stream, next_seq, acked_rows FROM streams"))
        .getRows();
      const dropped = await readDrops(conn);
      const out = {} as Record<Kind, StreamStats>;
      for (const kind of KINDS) {
        const [, next, acked] = streams.find((r) => r[0] === kind) ?? [];
        const count = this.#rows.get(kind) ?? 0;
        const oldest = count > 0 ? await this.#oldestRecvTs(conn, kind) : undefined;
        out[kind] = {
          backlog_rows: count,
          backlog_bytes: this.#bytes.get(kind) ?? 0,
          oldest_unsent_age_s: oldest !== undefined && oldest < now
            ? Number(now - oldest) / 1e9
            : 0,
          next_seq: Number(next ?? 1n),
          acked_rows: Number(acked ?? 0n),
          dropped: dropped[kind],
        };
      }
      return out;
    });
  }

  /**
   * recv_ts of the buffered row of `kind` with the lowest seq, or `undefined`
   * when none. Looked for in seq windows from the last oldest seen, doubling
   * while empty: an open `seq > x ORDER BY seq LIMIT 1` reads the seq column of
   * the whole backlog, which on every heartbeat filled DuckDB's cache during a
   * drain. Seqs below an empty window are gone for good (retired or dropped).
   */
  async #oldestRecvTs(conn: DuckDBConnection, kind: Kind): Promise<bigint | undefined> {
    const last = (this.#nextSeq.get(kind) ?? 1n) - 1n;
    let from = this.#oldestBelow.get(kind) ?? 0n;
    for (let window = 65_536n; from < last; window *= 2n) {
      const span = this.#segments.nextSpan(kind, from, window, last);
      if (span === undefined) break;
      from = span.from - 1n;
      const to = span.to;
      const [row] = (await conn.runAndReadAll(
        `SELECT seq, recv_ts FROM ${span.segment.table} WHERE seq > ${from} AND seq <= ${to} ` +
          `ORDER BY seq LIMIT 1`,
      )).getRows();
      const [seq, recvTs] = row ?? [];
      if (typeof seq === "bigint" && typeof recvTs === "bigint") {
        this.#oldestBelow.set(kind, seq - 1n);
        return recvTs;
      }
      from = to;
      this.#oldestBelow.set(kind, to);
    }
    return undefined;
  }

  /**
   * Runs one read-only SELECT (an operator's `agent query`) on a connection of
   * its own, so that a slow query cannot stall the shipper's reads.
   *
   * It runs in the write queue, never alongside a write: a query that ran while
   * an append committed returned garbled strings (`["l","r",""]` for
   * `["info","plc","valve 3 ok"]`; 2-7 % of runs of the syslog agent test under
   * load, none in 120 once serialized; the stored rows were right). So writes
   * wait while an operator's query runs, at most its time limit.
   *
   * @throws {QueryRefused} when `sql` is not exactly one SELECT, DuckDB refuses it or it times out.
   * @throws {RetryableError} reason `buffer_closed` after close.
   */
  async query(sql: unknown, options: ReadOnlyQueryOptions = {}): Promise<QueryResult> {
    if (this.#closed) throw new RetryableError("buffer_closed", "the buffer is closed");
    return await this.#writes.run(async () => {
      const conn = await this.#instance.connect();
      try {
        return await runReadOnlyQuery(conn, sql, options);
      } finally {
        conn.closeSync();
      }
    });
  }

  /** Waits for queued work, then closes the connections and the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#expireTimer);
    for (const wake of [...this.#spaceWaiters]) wake();
    await Promise.all([this.#writes.idle(), this.#reads.idle()]);
    this.#writer?.closeSync();
    this.#reader.closeSync();
    this.#instance.closeSync();
  }

  #write<T>(reason: string, task: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const writer = this.#writer;
    if (writer === undefined) {
      return Promise.reject(new PermanentError("read_only", "the buffer was opened read-only"));
    }
    return this.#writes.run(async () => {
      if (this.#closed) throw new RetryableError("buffer_closed", "the buffer is closed");
      try {
        return await task(writer);
      } catch (error) {
        await this.#afterDuckDBError(writer, error);
        if (error instanceof PermanentError || error instanceof RetryableError) throw error;
        throw new RetryableError(reason, `buffer write failed: ${errorText(error)}`, {
          cause: error,
        });
      }
    });
  }

  /** DuckDB's memory limit now, MiB: the configured one, or more after an out-of-memory error. */
  get memoryLimitMiB(): number {
    return this.#memoryLimitMiB;
  }

  /**
   * What a failed buffer call may tell about DuckDB itself: the database was
   * invalidated (reported once, see `BufferOptions.onFatal`), or it ran out of
   * memory (the limit doubles, up to 8× the configured one).
   */
  async #afterDuckDBError(conn: DuckDBConnection, error: unknown): Promise<void> {
    const text = errorText(error);
    if (/database has been invalidated/i.test(text)) {
      if (!this.#fatal) this.#onFatal?.(text);
      this.#fatal = true;
      return;
    }
    if (!OUT_OF_MEMORY.test(text) || this.#memoryLimitMiB >= this.#maxMemoryLimitMiB) {
      return;
    }
    const fromMiB = this.#memoryLimitMiB;
    const toMiB = Math.min(fromMiB * 2, this.#maxMemoryLimitMiB);
    try {
      await conn.run(`SET memory_limit = '${toMiB}MiB'`);
    } catch {
      return; // The next out-of-memory error tries again.
    }
    this.#memoryLimitMiB = toMiB;
    this.#onMemoryLimitRaised?.({ fromMiB, toMiB, error: text });
  }

  #read<T>(task: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.#reads.run(async () => {
      if (this.#closed) throw new RetryableError("buffer_closed", "the buffer is closed");
      try {
        return await task(this.#reader);
      } catch (error) {
        await this.#afterDuckDBError(this.#reader, error);
        if (error instanceof PermanentError || error instanceof RetryableError) throw error;
        throw new RetryableError("buffer_read", `buffer read failed: ${errorText(error)}`, {
          cause: error,
        });
      }
    });
  }
}

/**
 * DuckDB's buffer manager refusing memory. Its messages vary ("Out of Memory
 * Error: failed to allocate ...", "could not allocate block ...", "failed to
 * pin block ...") but all end in "(<used>/<limit> used)".
 */
const OUT_OF_MEMORY = /Out of Memory|\([\d.]+ [KMGT]?i?B\/[\d.]+ [KMGT]?i?B used\)/i;

async function rollback(conn: DuckDBConnection): Promise<void> {
  try {
    await conn.run("ROLLBACK");
  } catch {
    // The transaction may already be gone (DuckDB aborts it on some errors).
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function buildChunk<K extends Kind>(
  kind: K,
  rows: readonly RowOf[K][],
  start: number,
  count: number,
  firstSeq: bigint,
): DuckDBDataChunk {
  const specs = bodyColumns(kind);
  const shape = chunkShape(kind);
  const chunk = shape.create(count);
  specs.forEach((spec, ci) => {
    const vector = shape.vector(chunk, ci);
    if (spec.name === "seq") {
      const base = firstSeq + BigInt(start);
      for (let i = 0; i < count; i++) vector.setItem(i, base + BigInt(i));
    } else {
      for (let i = 0; i < count; i++) {
        const value = (rows[start + i] as unknown as Record<string, unknown>)[spec.name];
        vector.setItem(
          i,
          spec.type === "i32_list"
            ? listValue(value as number[])
            : value as bigint | number | string,
        );
      }
    }
    vector.flush();
  });
  return chunk;
}

const CHUNK_SHAPES = new Map<Kind, ChunkShape>();

/** The buffer table's column types of `kind`, made into DuckDB types once per process. */
function chunkShape(kind: Kind): ChunkShape {
  let shape = CHUNK_SHAPES.get(kind);
  if (shape === undefined) {
    shape = new ChunkShape(bodyColumns(kind).map((spec) => bufferDuckDBType(spec.type)));
    CHUNK_SHAPES.set(kind, shape);
  }
  return shape;
}

/** Accumulates one column over several result chunks, then hands over its typed array. */
interface Collector {
  push(vector: DuckDBVector, count: number): void;
  finish(): ColumnValues;
}

type NumericArray = BigInt64Array | Int32Array | Float64Array;

/**
 * The native data of a numeric vector, when it exposes it: the node-api's
 * numeric vectors (BIGINT, INTEGER, DOUBLE) keep a typed-array view of the
 * chunk's memory in `items`. Copying from it avoids boxing every cell (a
 * BigInt per timestamp) through `getItem`. Buffer columns are never NULL.
 */
function nativeItems<T extends NumericArray>(
  vector: DuckDBVector,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => T,
  count: number,
): T | undefined {
  const items = (vector as unknown as { items?: unknown }).items;
  return items instanceof type && items.length >= count ? items : undefined;
}

/** A collector writing straight into one preallocated array of `capacity` rows. */
function numericCollector<T extends NumericArray>(
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => T,
  capacity: number,
): Collector {
  const out = new type(capacity);
  let size = 0;
  return {
    push: (v, n) => {
      const items = nativeItems(v, type, n);
      if (items !== undefined) {
        out.set(items.subarray(0, n) as never, size);
      } else {
        for (let i = 0; i < n; i++) out[size + i] = v.getItem(i) as never;
      }
      size += n;
    },
    finish: () => size === capacity ? out : out.slice(0, size) as T,
  };
}

function createCollector(spec: ColumnSpec, capacity: number): Collector {
  switch (spec.type) {
    case "ts_ns":
    case "i64":
      return numericCollector(BigInt64Array, capacity);
    case "i32":
      return numericCollector(Int32Array, capacity);
    case "f64":
      return numericCollector(Float64Array, capacity);
    case "utf8":
    case "json": {
      const values: string[] = [];
      return {
        push: (v, n) => {
          for (let i = 0; i < n; i++) values.push(v.getItem(i) as string);
        },
        finish: () => values,
      };
    }
    case "i32_list": {
      const values: Int32Array[] = [];
      return {
        push: (v, n) => {
          if (!(v instanceof DuckDBListVector)) {
            throw new TypeError(`column ${spec.name}: expected a LIST vector`);
          }
          const child = v.childVector;
          const native = nativeItems(child, Int32Array, 0);
          for (let i = 0; i < n; i++) {
            const offset = v.getEntryOffset(i);
            const length = v.getEntryLength(i);
            if (native !== undefined && offset + length <= native.length) {
              values.push(native.slice(offset, offset + length));
            } else {
              const items = new Int32Array(length);
              for (let j = 0; j < length; j++) items[j] = child.getItem(offset + j) as number;
              values.push(items);
            }
          }
        },
        finish: () => values,
      };
    }
  }
}

/**
 * The backlog row counts and bytes per stream, as stored in `streams`. A
 * stream whose totals are NULL (a file from before they were stored) is
 * measured once, and the totals written back when `writer` is given.
 */
async function readBacklogTotals(
  reader: DuckDBConnection,
  writer: DuckDBConnection | undefined,
): Promise<{ rows: Map<Kind, number>; bytes: Map<Kind, number> }> {
  const rows = new Map<Kind, number>();
  const bytes = new Map<Kind, number>();
  const stored = (await reader.runAndReadAll(
    "SELECT stream, backlog_rows, backlog_bytes FROM streams",
  )).getRows();
  for (const [stream, storedRows, storedBytes] of stored) {
    if (!KINDS.includes(stream as Kind)) continue;
    const kind = stream as Kind;
    if (typeof storedRows === "bigint" && typeof storedBytes === "bigint") {
      rows.set(kind, Number(storedRows));
      bytes.set(kind, Number(storedBytes));
      continue;
    }
    const measured = await measureRows(reader, kind, "true");
    rows.set(kind, measured.rows);
    bytes.set(kind, measured.bytes);
    await writer?.run(
      `UPDATE streams SET backlog_rows = ${measured.rows}, backlog_bytes = ${measured.bytes} ` +
        `WHERE stream = '${kind}'`,
    );
  }
  return { rows, bytes };
}

/** After each read: frees the consumed DuckDB chunks and promoted batch columns (heap_reclaim.ts). */
const reclaimHeap = createHeapReclaimer();
