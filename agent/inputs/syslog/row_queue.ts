/**
 * The rows a push input has accepted but not yet committed: written to the
 * buffer in batches (`batchRows`, or what is there after `flushMs`), one
 * write at a time, in arrival order. When the buffer refuses (policy
 * `block`, a busy disk) the same rows are retried with backoff; the queue
 * holds at most `maxRows`, and {@linkcode RowQueue.room} lets a sender that
 * can wait (a TCP connection) wait for space instead of losing rows.
 *
 * @module
 */
import { PermanentError } from "@tributary/shared/errors";
import type { LogLine } from "@tributary/shared/records";
import { backoffDelay } from "../../backoff.ts";
import type { InputContext } from "../input.ts";

/** Options of {@linkcode RowQueue}. */
export interface RowQueueOptions {
  batchRows: number;
  flushMs: number;
  maxRows: number;
  /** Longest wait between two retries of a refused write, in ms. @default 5000 */
  maxBackoffMs?: number;
}

/** A bounded queue of log rows in front of `ctx.write`. */
export class RowQueue {
  readonly #ctx: InputContext;
  readonly #options: RowQueueOptions;
  #rows: LogLine[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pumping: Promise<void> | undefined;
  #roomWaiters: (() => void)[] = [];
  #closing = false;
  /** Set when `close` stops retrying. */
  #gaveUp = false;
  #abortWait: (() => void) | undefined;

  constructor(ctx: InputContext, options: RowQueueOptions) {
    this.#ctx = ctx;
    this.#options = options;
  }

  /** Rows held. */
  get size(): number {
    return this.#rows.length;
  }

  /** True when the queue holds `maxRows` or more. */
  get full(): boolean {
    return this.#rows.length >= this.#options.maxRows;
  }

  /** Queues `rows` (even beyond `maxRows`: callers check `full` first). */
  push(rows: readonly LogLine[]): void {
    if (rows.length === 0) return;
    for (const row of rows) this.#rows.push(row);
    if (this.#rows.length >= this.#options.batchRows) this.#pump();
    else this.#timer ??= setTimeout(() => this.#pump(), this.#options.flushMs);
  }

  /** Resolves once the queue is below `maxRows` (at once when it is). */
  room(): Promise<void> {
    if (!this.full || this.#closing) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /**
   * Writes what is held and stops. A refused write is retried until
   * `deadlineMs` has passed; rows still held then are counted as rejected
   * (`shutdown`) and returned as a number.
   */
  async close(deadlineMs = 5000): Promise<number> {
    this.#closing = true;
    this.#wakeRoom();
    const giveUp = setTimeout(() => {
      this.#gaveUp = true;
      this.#abortWait?.();
    }, deadlineMs);
    try {
      while ((this.#rows.length > 0 || this.#pumping) && !this.#gaveUp) {
        this.#pump();
        await this.#pumping;
      }
      await this.#pumping;
    } finally {
      clearTimeout(giveUp);
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const lost = this.#rows.length;
    if (lost > 0) {
      this.#ctx.rejected("shutdown", lost);
      this.#ctx.log.error("rows not written at shutdown: the buffer refused them", { rows: lost });
      this.#rows = [];
    }
    return lost;
  }

  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pumping ??= this.#drain().finally(() => {
      this.#pumping = undefined;
      if (this.#rows.length > 0 && !this.#closing) {
        this.#timer ??= setTimeout(() => this.#pump(), this.#options.flushMs);
      }
    });
  }

  async #drain(): Promise<void> {
    let failures = 0;
    while (this.#rows.length > 0) {
      const batch = this.#rows.slice(0, this.#options.batchRows);
      try {
        await this.#ctx.write("logs", batch);
        failures = 0;
      } catch (error) {
        if (error instanceof PermanentError) {
          this.#ctx.rejected(error.reason, batch.length);
          this.#ctx.log.error("rows refused by the buffer; dropped", {
            rows: batch.length,
            error: error.message,
          });
        } else {
          const wait = backoffDelay(failures++, {
            initialMs: this.#options.flushMs,
            maxMs: this.#options.maxBackoffMs ?? 5000,
          });
          this.#ctx.log.warn("write refused; retrying", {
            rows: batch.length,
            retry_in_ms: wait,
            error: String(error),
          });
          if (!await this.#wait(wait)) return;
          continue;
        }
      }
      this.#rows.splice(0, batch.length);
      if (!this.full) this.#wakeRoom();
      if (this.#rows.length < this.#options.batchRows && !this.#closing) return;
    }
  }

  /** Sleeps `ms`; false when woken early by a closing deadline. */
  #wait(ms: number): Promise<boolean> {
    if (this.#gaveUp) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#abortWait = undefined;
        resolve(true);
      }, ms);
      this.#abortWait = () => {
        clearTimeout(timer);
        this.#abortWait = undefined;
        resolve(false);
      };
    });
  }

  #wakeRoom(): void {
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
