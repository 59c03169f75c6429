/**
 * The shipper: per stream, oldest first, it reads a batch from the buffer,
 * encodes it, hands it to the transport and retires the rows once the
 * transport confirms delivery.
 *
 * - Up to `inFlight` batches per stream await confirmation at once.
 * - A small batch waits up to `lingerMs` (from its oldest row's recv_ts) for
 *   more rows.
 * - Every batch's seq range is recorded as pending in the buffer before it is
 *   sent. After a failure (or a restart) pending ranges are resent first, with
 *   exactly the same bounds, so the hub's (agent, stream, first, last) dedup
 *   key recognises a batch it already has: nothing is stored twice.
 * - A retryable failure stops new sends on that stream, waits for what is in
 *   flight, backs off (exponential, full jitter) and resends.
 * - A permanent failure (message too large) splits the batch in two; a single
 *   row that still fails is dropped and counted.
 * - A batch the hub rejected for good (`BatchRejectedError`, e.g.
 *   `schema_mismatch`) is dropped whole from the buffer and its rows counted
 *   in `rows_dropped` under the hub's reason: never resent, never lost
 *   silently.
 * - Memory is bounded by `inFlight * maxBatchRows` rows per stream, whatever
 *   the backlog; a batch's decoded rows are dropped once it is encoded (only
 *   its encoded message and seq column stay while it awaits confirmation).
 * - With `maxBytesPerSec`, one {@linkcode TokenBucket} shared by all streams
 *   paces the bytes handed to the transport (see `rate_limit.ts` for the burst
 *   allowance).
 * - A stream with rows to ship that has had none confirmed for `stallWarnMs`
 *   logs a warning with what it is doing (waiting for confirmations, backing
 *   off, stuck in a buffer call...), again after twice as long each time (at
 *   most hourly) until rows move again: an outage, a slow hub or a bug is
 *   visible in the log, not silent, and a days-long outage does not flood it.
 *
 * @module
 */
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import type { Logger } from "@tributary/shared/log";
import { type Batch, type Kind, KINDS, nowNs } from "@tributary/shared/records";
import { type Codec, encodeBatch } from "@tributary/shared/wire";
import { backoffDelay } from "./backoff.ts";
import { TokenBucket } from "./rate_limit.ts";
import type { AgentBuffer, SeqRange } from "./buffer/mod.ts";
import { BatchRejectedError, type Transport } from "./transports/transport.ts";

/** The buffer operations the shipper uses. */
export type ShipperBuffer = Pick<
  AgentBuffer,
  "readBatch" | "markPending" | "replacePending" | "pendingRanges" | "retire"
>;

/** Options of {@linkcode Shipper}. */
export interface ShipperOptions {
  buffer: ShipperBuffer;
  transport: Pick<Transport, "send">;
  log: Logger;
  /** Streams to ship. @default every kind */
  streams?: readonly Kind[];
  /** Most rows per batch. @default 5000 */
  maxBatchRows?: number;
  /** How long a small batch may wait for more rows, in ms. @default 100 */
  lingerMs?: number;
  /** Batches per stream awaiting confirmation. @default 4 */
  inFlight?: number;
  /** Body compression. @default "zstd" */
  codec?: Codec;
  /** First backoff cap, in ms. @default 200 */
  retryInitialMs?: number;
  /** Largest backoff, in ms. @default 10000 */
  retryMaxMs?: number;
  /** Longest wait in `stop()` for in-flight sends, in ms. @default 5000 */
  drainTimeoutMs?: number;
  /** Poll an idle stream this often even without `wake`, in ms. @default 1000 */
  idlePollMs?: number;
  /** Uniform random in [0, 1), for backoff jitter. @default Math.random */
  random?: () => number;
  /**
   * Cap on the bytes handed to the transport, all streams together, in bytes
   * per second; 0 means unlimited. @default 0
   */
  maxBytesPerSec?: number;
  /** Bucket size of the cap, in bytes. @default maxBytesPerSec / 4 */
  burstBytes?: number;
  /**
   * Warn when a stream with rows to ship has had none confirmed for this
   * long, in ms; 0 never warns. @default 60000
   */
  stallWarnMs?: number;
}

/** Counters of one stream. */
export interface StreamCounters {
  rows_sent: number;
  batches_sent: number;
  bytes_sent: number;
  /** Failed sends (or retires) by reason, e.g. `disconnected`, `timeout`, `too_large`. */
  failures: Record<string, number>;
  /**
   * Rows dropped because they can never be sent, by reason, since this
   * shipper started. The buffer records the same drops in `stream_drops`
   * (retire with `dropReason`), kept across restarts.
   */
  rows_dropped: Record<string, number>;
}

/** Ships every stream of a buffer through a transport. */
export class Shipper {
  readonly #streams: Map<Kind, StreamShipper>;
  readonly #drainTimeoutMs: number;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  readonly #stallWarnMs: number;
  #loops: Promise<void>[] | undefined;
  #stallTimer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  constructor(options: ShipperOptions) {
    const maxBytesPerSec = options.maxBytesPerSec ?? 0;
    if (!(maxBytesPerSec >= 0) || !Number.isFinite(maxBytesPerSec)) {
      throw new RangeError(
        `Shipper: maxBytesPerSec must be a finite number >= 0 (0 = unlimited), got ${maxBytesPerSec}`,
      );
    }
    const settings: StreamSettings = {
      buffer: options.buffer,
      transport: options.transport,
      log: options.log,
      maxBatchRows: options.maxBatchRows ?? 5000,
      lingerMs: options.lingerMs ?? 100,
      inFlight: options.inFlight ?? 4,
      codec: options.codec ?? "zstd",
      retryInitialMs: options.retryInitialMs ?? 200,
      retryMaxMs: options.retryMaxMs ?? 10_000,
      idlePollMs: options.idlePollMs ?? 1000,
      random: options.random ?? Math.random,
      bucket: maxBytesPerSec > 0
        ? new TokenBucket({ bytesPerSec: maxBytesPerSec, burstBytes: options.burstBytes })
        : undefined,
      stopSignal: this.#abort.signal,
    };
    this.#streams = new Map(
      (options.streams ?? KINDS).map((kind) => [kind, new StreamShipper(kind, settings)]),
    );
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 5000;
    this.#stallWarnMs = options.stallWarnMs ?? 60_000;
    if (!(this.#stallWarnMs >= 0) || !Number.isFinite(this.#stallWarnMs)) {
      throw new RangeError(
        `Shipper: stallWarnMs must be a finite number >= 0 (0 = never warn), got ${this.#stallWarnMs}`,
      );
    }
    this.#log = options.log;
  }

  /** Starts one loop per stream. Idempotent. */
  start(): Promise<void> {
    if (this.#loops === undefined && !this.#stopped) {
      this.#loops = [...this.#streams.values()].map((s) => s.run());
      if (this.#stallWarnMs > 0) {
        // Checked a few times per period, so a warning comes at most a quarter late.
        const every = Math.min(10_000, Math.max(10, this.#stallWarnMs / 4));
        this.#stallTimer = setInterval(() => this.#checkStalls(), every);
      }
    }
    return Promise.resolve();
  }

  #checkStalls(): void {
    const now = performance.now();
    for (const stream of this.#streams.values()) stream.checkStall(now, this.#stallWarnMs);
  }

  /** Tells the shipper that rows were appended to `kind`, so an idle stream reads now. */
  wake(kind: Kind): void {
    this.#streams.get(kind)?.wake();
  }

  /** Counters per stream, as a snapshot. */
  counters(): Record<Kind, StreamCounters> {
    const out = {} as Record<Kind, StreamCounters>;
    for (const [kind, s] of this.#streams) out[kind] = structuredClone(s.counters);
    return out;
  }

  /**
   * Stops reading new batches and waits (at most `drainTimeoutMs`) for
   * in-flight sends to settle. Rows not confirmed stay in the buffer.
   * Idempotent; safe before start.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#stallTimer);
    // Sends still waiting for bandwidth are not started; their ranges stay pending.
    this.#abort.abort();
    for (const s of this.#streams.values()) s.stop();
    if (this.#loops === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.#drainTimeoutMs);
    });
    const drained = Promise.all(this.#loops).then(() => false);
    const late = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    if (late) {
      this.#log.warn("shipper stopped with sends still in flight; they stay in the buffer", {
        drain_timeout_ms: this.#drainTimeoutMs,
      });
    }
  }
}

interface StreamSettings {
  buffer: ShipperBuffer;
  transport: Pick<Transport, "send">;
  log: Logger;
  maxBatchRows: number;
  lingerMs: number;
  inFlight: number;
  codec: Codec;
  retryInitialMs: number;
  retryMaxMs: number;
  idlePollMs: number;
  random: () => number;
  /** The bandwidth cap shared by all streams, if any. */
  bucket: TokenBucket | undefined;
  /** Aborts when the shipper stops. */
  stopSignal: AbortSignal;
}

/** What a sent batch keeps while it awaits confirmation: not its decoded rows. */
interface InFlightBatch {
  firstSeq: bigint;
  lastSeq: bigint;
  rowCount: number;
  /** The batch's seq column, to split it if the transport refuses it as too large. */
  seq: BigInt64Array;
}

/**
 * What a stream's loop is doing: named in a stall warning. "idle" means it
 * found no rows to ship, so it cannot be stalled.
 */
type Activity =
  | "starting"
  | "reading the buffer"
  | "marking a batch pending"
  | "lingering for more rows"
  | "waiting for confirmations"
  | "backing off after a failure"
  | "idle";

/** The longest gap between two warnings about one stall, ms (unless `stallWarnMs` is longer). */
const MAX_STALL_REPEAT_MS = 3_600_000;

/** The shipping loop of one stream. */
class StreamShipper {
  readonly counters: StreamCounters = {
    rows_sent: 0,
    batches_sent: 0,
    bytes_sent: 0,
    failures: {},
    rows_dropped: {},
  };
  readonly #kind: Kind;
  readonly #s: StreamSettings;
  readonly #log: Logger;
  /** Sends awaiting confirmation, with when each was launched (performance.now()). */
  readonly #inflight = new Map<Promise<void>, number>();
  /** Ranges to resend with exactly these bounds, ascending. */
  #retry: SeqRange[] = [];
  /** Highest seq already placed in a batch. */
  #cursor = 0n;
  #batchRows: number;
  #failed = false;
  #attempt = 0;
  #stopping = false;
  #interrupt: (() => void) | undefined;
  #woken = false;
  #stopSignal: Promise<void>;
  #signalStop: () => void = () => {};
  #activity: Activity = "starting";
  #activitySince = performance.now();
  /** When rows last moved (a batch confirmed, or nothing left to ship). */
  #progressAt = performance.now();
  /** How long the current stall must last for the next warning; undefined before the first. */
  #nextStallWarnMs: number | undefined;
  #lastFailure: string | undefined;
  /** The failure reason already warned about in this streak; cleared when rows move. */
  #warnedFailure: string | undefined;

  constructor(kind: Kind, settings: StreamSettings) {
    this.#kind = kind;
    this.#s = settings;
    this.#log = settings.log.child({ stream: kind });
    this.#batchRows = settings.maxBatchRows;
    this.#stopSignal = new Promise((resolve) => this.#signalStop = resolve);
  }

  wake(): void {
    this.#woken = true;
    this.#interrupt?.();
  }

  /**
   * Warns when this stream has rows to ship but none were confirmed for
   * `warnMs`, again after 2, 4, 8... times `warnMs` (at most hourly) while
   * that lasts, and says when rows move again after a warning.
   */
  checkStall(now: number, warnMs: number): void {
    const stalledMs = now - this.#progressAt;
    const due = this.#nextStallWarnMs ?? warnMs;
    if (this.#activity === "idle" || this.#stopping || stalledMs < due) return;
    this.#nextStallWarnMs = Math.min(2 * due, due + Math.max(warnMs, MAX_STALL_REPEAT_MS));
    const oldest = Math.min(...this.#inflight.values());
    this.#log.warn("stream has had no rows confirmed for a while", {
      stalled_s: Math.round(stalledMs / 1000),
      doing: this.#activity,
      doing_for_s: Math.round((now - this.#activitySince) / 1000),
      in_flight: this.#inflight.size,
      oldest_in_flight_s: this.#inflight.size > 0 ? Math.round((now - oldest) / 1000) : null,
      queued_for_resend: this.#retry.length,
      last_failure: this.#lastFailure ?? null,
      next_seq: this.#cursor + 1n,
    });
  }

  #doing(activity: Activity): void {
    if (activity === this.#activity) return;
    this.#activity = activity;
    this.#activitySince = performance.now();
  }

  /** Rows moved (or there are none left): the stall clock starts again. */
  #progressed(): void {
    const now = performance.now();
    if (this.#nextStallWarnMs !== undefined) {
      this.#log.info("stream is shipping again", {
        stalled_s: Math.round((now - this.#progressAt) / 1000),
      });
      this.#nextStallWarnMs = undefined;
    }
    this.#progressAt = now;
    this.#warnedFailure = undefined;
  }

  stop(): void {
    this.#stopping = true;
    this.#signalStop();
    this.#interrupt?.();
  }

  async run(): Promise<void> {
    try {
      const pending = await this.#s.buffer.pendingRanges(this.#kind);
      this.#retry = pending;
      for (const r of pending) if (r.lastSeq > this.#cursor) this.#cursor = r.lastSeq;
      if (pending.length > 0) {
        this.#log.info("resending batches pending from before", { batches: pending.length });
      }
    } catch (error) {
      this.#log.error("cannot read pending batches; shipping stopped for this stream", { error });
      return;
    }
    while (!this.#stopping) {
      try {
        await this.#step();
      } catch (error) {
        // Buffer trouble: back off like a failed send, keep the loop alive.
        this.#countFailure(error instanceof RetryableError ? error.reason : "buffer_error");
        this.#log.warn("shipper step failed", { error });
        this.#failed = true;
      }
    }
    await Promise.allSettled([...this.#inflight.keys()]);
  }

  async #step(): Promise<void> {
    if (this.#failed) {
      this.#doing("waiting for confirmations");
      await Promise.allSettled([...this.#inflight.keys()]);
      if (this.#stopping) return;
      this.#doing("backing off after a failure");
      const delay = backoffDelay(this.#attempt++, {
        initialMs: this.#s.retryInitialMs,
        maxMs: this.#s.retryMaxMs,
        random: this.#s.random,
      });
      await this.#sleep(delay, false);
      this.#failed = false;
      return;
    }
    if (this.#inflight.size >= this.#s.inFlight) {
      this.#doing("waiting for confirmations");
      await Promise.race([...this.#inflight.keys(), this.#stopSignal]);
      return;
    }
    const retry = this.#retry.shift();
    if (retry !== undefined) {
      this.#doing("reading the buffer");
      try {
        await this.#resend(retry);
      } catch (error) {
        // The cursor is past this range: dropped from the queue here, its rows
        // would wait for the next restart. It goes back, in seq order.
        this.#insertRetry(retry);
        throw error;
      }
      return;
    }
    // Cleared before the read, so a wake during the read is not lost.
    this.#woken = false;
    this.#doing("reading the buffer");
    let batch = await this.#s.buffer.readBatch(this.#kind, this.#cursor, this.#batchRows);
    if (batch === undefined) {
      if (this.#inflight.size === 0 && this.#retry.length === 0 && !this.#failed) {
        // Everything read was confirmed: nothing waits, so nothing is stalled.
        this.#doing("idle");
        this.#progressed();
      } else if (this.#inflight.size > 0) {
        this.#doing("waiting for confirmations");
      }
      await this.#sleep(this.#s.idlePollMs, true);
      return;
    }
    if (batch.rowCount < this.#batchRows && this.#s.lingerMs > 0) {
      const oldest = (batch.columns.recv_ts as BigInt64Array)[0]!;
      const ageMs = Number(nowNs() - oldest) / 1e6;
      if (ageMs < this.#s.lingerMs) {
        this.#doing("lingering for more rows");
        await this.#sleep(this.#s.lingerMs - ageMs, false);
        if (this.#stopping) return;
        batch = await this.#s.buffer.readBatch(this.#kind, this.#cursor, this.#batchRows) ?? batch;
      }
    }
    const range = { firstSeq: batch.firstSeq, lastSeq: batch.lastSeq };
    this.#doing("marking a batch pending");
    await this.#s.buffer.markPending(this.#kind, range);
    this.#cursor = batch.lastSeq;
    this.#launch(batch, range);
  }

  /** Reads the pending `range` again and sends it with exactly its bounds. */
  async #resend(range: SeqRange): Promise<void> {
    const span = range.lastSeq - range.firstSeq + 1n;
    const batch = await this.#s.buffer.readBatch(
      this.#kind,
      range.firstSeq - 1n,
      Number(span > 1_000_000n ? 1_000_000n : span),
      { throughSeq: range.lastSeq },
    );
    if (batch === undefined) {
      // Its rows are gone (retired by an earlier confirmation): clear the mark.
      await this.#s.buffer.retire(this.#kind, range.firstSeq, range.lastSeq);
      this.#progressed();
      return;
    }
    this.#launch(batch, range);
  }

  /** Encodes `batch` and sends it in the background; `batch` itself is not kept. */
  #launch(batch: Batch, range: SeqRange): void {
    const sent: InFlightBatch = {
      firstSeq: batch.firstSeq,
      lastSeq: batch.lastSeq,
      rowCount: batch.rowCount,
      seq: batch.columns.seq as BigInt64Array,
    };
    let p: Promise<void>;
    try {
      const bytes = encodeBatch(batch, { codec: this.#s.codec });
      p = this.#ship(batch.agent, sent, bytes, range);
    } catch (error) {
      // An encoder refusal: resending the same rows cannot help.
      p = this.#refused(sent, range, error);
    }
    this.#inflight.set(p, performance.now());
    p.finally(() => this.#inflight.delete(p));
  }

  async #ship(
    agent: string,
    batch: InFlightBatch,
    bytes: Uint8Array,
    range: SeqRange,
  ): Promise<void> {
    if (this.#s.bucket !== undefined) {
      try {
        await this.#s.bucket.take(bytes.byteLength, this.#s.stopSignal);
      } catch {
        // Stopped while waiting for bandwidth: never sent, stays pending.
        this.#insertRetry(range);
        return;
      }
    }
    try {
      await this.#s.transport.send({
        agent,
        stream: this.#kind,
        firstSeq: batch.firstSeq,
        lastSeq: batch.lastSeq,
        rowCount: batch.rowCount,
        bytes,
      });
    } catch (error) {
      if (error instanceof RetryableError) {
        this.#retryLater(range, error.reason, error);
      } else {
        // PermanentError from the transport: resending the same bytes cannot help.
        await this.#refused(batch, range, error);
      }
      return;
    }
    try {
      await this.#s.buffer.retire(this.#kind, range.firstSeq, range.lastSeq);
    } catch (error) {
      // Delivered but still buffered: it will be resent and the hub dedups it.
      this.#retryLater(range, "retire_failed", error);
      return;
    }
    this.counters.rows_sent += batch.rowCount;
    this.counters.batches_sent++;
    this.counters.bytes_sent += bytes.byteLength;
    this.#progressed();
    this.#attempt = 0;
    this.#batchRows = Math.min(this.#s.maxBatchRows, this.#batchRows * 2);
  }

  #retryLater(range: SeqRange, reason: string, error: unknown): void {
    this.#countFailure(reason);
    // A warning for the first failure of a streak (and for a new reason);
    // repeats go to debug, or an outage would log a line per stream per retry.
    // They are counted in send_failures_total, and the stall warning reports
    // the streak's state.
    const level = reason === this.#warnedFailure ? "debug" : "warn";
    this.#warnedFailure = reason;
    this.#log[level]("send failed; will retry", {
      reason,
      first_seq: range.firstSeq,
      last_seq: range.lastSeq,
      error,
    });
    this.#insertRetry(range);
    this.#failed = true;
  }

  async #refused(batch: InFlightBatch, range: SeqRange, error: unknown): Promise<void> {
    const reason = error instanceof PermanentError ? error.reason : "encode_failed";
    this.#countFailure(reason);
    try {
      if (error instanceof BatchRejectedError) {
        // dropReason: the buffer records the drop in stream_drops (same
        // transaction as the delete), so it survives restarts.
        await this.#s.buffer.retire(this.#kind, range.firstSeq, range.lastSeq, {
          acknowledged: false,
          dropReason: reason,
        });
        this.counters.rows_dropped[reason] = (this.counters.rows_dropped[reason] ?? 0) +
          batch.rowCount;
        this.#progressed(); // The rows left the buffer: counted, not stuck.
        this.#log.error("batch rejected by the hub; its rows are dropped", {
          reason,
          rows: batch.rowCount,
          first_seq: range.firstSeq,
          last_seq: range.lastSeq,
          error,
        });
      } else if (batch.rowCount > 1) {
        const seq = batch.seq;
        const half = Math.floor(batch.rowCount / 2);
        const parts = [
          { firstSeq: range.firstSeq, lastSeq: seq[half - 1]! },
          { firstSeq: seq[half]!, lastSeq: range.lastSeq },
        ];
        await this.#s.buffer.replacePending(this.#kind, range, parts);
        for (const p of parts) this.#insertRetry(p);
        this.#batchRows = Math.max(1, half);
        this.#log.warn("batch refused; splitting it", { reason, rows: batch.rowCount, error });
      } else {
        await this.#s.buffer.retire(this.#kind, range.firstSeq, range.lastSeq, {
          acknowledged: false,
          dropReason: reason,
        });
        this.counters.rows_dropped[reason] = (this.counters.rows_dropped[reason] ?? 0) + 1;
        this.#progressed();
        this.#log.error("row can never be sent; dropped", { reason, seq: range.firstSeq, error });
      }
    } catch (bufferError) {
      this.#retryLater(range, "buffer_error", bufferError);
    }
  }

  #insertRetry(range: SeqRange): void {
    const i = this.#retry.findIndex((r) => r.firstSeq > range.firstSeq);
    if (i === -1) this.#retry.push(range);
    else this.#retry.splice(i, 0, range);
  }

  #countFailure(reason: string): void {
    this.#lastFailure = reason;
    this.counters.failures[reason] = (this.counters.failures[reason] ?? 0) + 1;
  }

  /** Sleeps `ms`, cut short by stop (and by wake when `wakeable`). */
  #sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.#stopping || (wakeable && this.#woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#interrupt = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#interrupt = () => {
        if (wakeable || this.#stopping) done();
      };
    });
  }
}
