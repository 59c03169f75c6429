/**
 * Retrying a step that failed with a {@linkcode RetryableError}: exponential
 * backoff with full jitter, until it succeeds or the caller aborts.
 *
 * @module
 */
import { RetryableError } from "@tributary/shared/errors";

/** Options of {@linkcode retryUntilDone}. */
export interface RetryOptions {
  /** Aborting ends the wait at once; the promise then rejects with the signal's reason. */
  signal: AbortSignal;
  /** First delay ceiling, in ms. @default 100 */
  initialDelayMs?: number;
  /** Largest delay ceiling, in ms. @default 30000 */
  maxDelayMs?: number;
  /** Uniform in [0, 1), for jitter. @default Math.random */
  random?: () => number;
  /** Called before each wait, e.g. to log and count. */
  onRetry?: (error: RetryableError, attempt: number, delayMs: number) => void;
}

/**
 * Runs `step` until it resolves. A {@linkcode RetryableError} makes it wait
 * `random() * min(maxDelayMs, initialDelayMs * 2^attempt)` ms and try again;
 * any other error rejects at once.
 *
 * @throws whatever `step` throws that is not retryable, or the abort reason.
 * @example
 * ```ts
 * const result = await retryUntilDone(() => store.ingest(batch, n), { signal });
 * ```
 */
export async function retryUntilDone<T>(step: () => Promise<T>, options: RetryOptions): Promise<T> {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 30_000;
  const random = options.random ?? Math.random;
  for (let attempt = 0;; attempt++) {
    options.signal.throwIfAborted();
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof RetryableError)) throw error;
      const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
      const delay = Math.round(random() * ceiling);
      options.onRetry?.(error, attempt + 1, delay);
      await sleep(delay, options.signal);
    }
  }
}

/** Resolves after `ms`, or rejects with the abort reason as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
