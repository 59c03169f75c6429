/**
 * Paces a generator: every tick it writes the rows due since start at `rate`
 * rows per second, up to `limit`, so simulators write in small batches rather
 * than per row and keep their rate when a tick runs late.
 *
 * @module
 */
import { RetryableError } from "@tributary/shared/errors";
import type { Logger } from "@tributary/shared/log";

/** Options of {@linkcode startTicker}. */
export interface TickerOptions<Row> {
  /** Rows per second. */
  rate: number;
  /** Stop after this many rows in total (`start` included); 0 means never. */
  limit: number;
  /**
   * Rows already written by an earlier run (e.g. read from a checkpoint): the
   * ticker continues the count from here, and `produce` must continue the
   * sequence from row `start`. @default 0
   */
  start?: number;
  /** Milliseconds between ticks. @default 50 */
  tickMs?: number;
  /** Makes the next row; called in row order, exactly once per row. */
  produce: () => Row;
  /**
   * Commits rows; `next` is the index of the row after them (the position to
   * checkpoint). A rejected write is retried with the same rows next tick.
   */
  write: (rows: Row[], next: number) => Promise<void>;
  /** Where write failures are reported. */
  log: Logger;
}

/** A running ticker. */
export interface Ticker {
  /** Rows committed so far, `start` included. */
  readonly written: number;
  /** Resolves when `limit` rows were written (never when limit is 0) or after stop. */
  readonly done: Promise<void>;
  /** Stops ticking; resolves once the write in progress (if any) has settled. */
  stop(): Promise<void>;
}

/** At most this many seconds of rows are written in one tick after a stall. */
const MAX_CATCH_UP_S = 1;

/**
 * Starts writing rows at `rate` per second until `limit` or `stop()`.
 *
 * @example
 * ```ts
 * const ticker = startTicker({ rate: 200, limit: 0, produce, write, log });
 * await ticker.stop();
 * ```
 */
export function startTicker<Row>(options: TickerOptions<Row>): Ticker {
  const tickMs = options.tickMs ?? 50;
  const started = performance.now();
  const start = options.start ?? 0;
  let produced = start;
  let written = start;
  let pending: Row[] = [];
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => finish = resolve);

  const due = (): number => {
    const byTime = start + Math.floor(((performance.now() - started) / 1000) * options.rate);
    const target = options.limit > 0 ? Math.min(byTime, options.limit) : byTime;
    const cap = Math.max(1, Math.ceil(options.rate * MAX_CATCH_UP_S));
    return Math.min(target - produced, cap);
  };

  const tick = async (): Promise<void> => {
    timer = undefined;
    if (stopped) return;
    // Rows of a failed write are kept and sent again first, so the n-th row
    // written is always the n-th row produced.
    if (pending.length === 0) {
      const n = due();
      for (let i = 0; i < n; i++) pending.push(options.produce());
      produced += Math.max(0, n);
    }
    if (pending.length > 0) {
      try {
        await options.write(pending, written + pending.length);
        written += pending.length;
        pending = [];
      } catch (error) {
        const level = error instanceof RetryableError ? "warn" : "error";
        options.log[level]("write failed; will retry", { error, rows: pending.length });
      }
    }
    if (options.limit > 0 && written >= options.limit) {
      stopped = true;
      finish();
      return;
    }
    if (!stopped) timer = setTimeout(run, tickMs);
  };
  const run = () => {
    inFlight = tick();
  };
  timer = setTimeout(run, 0);

  return {
    get written() {
      return written;
    },
    done,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await inFlight;
      finish();
    },
  };
}
