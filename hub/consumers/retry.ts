/**
 * Retrying a step that failed with a {@linkcode RetryableError}: exponential
 * backoff with full jitter, until it succeeds or the caller aborts.
 *
 * @module
 */
import { RetryableError } from "@tributary/shared/errors";
import type { Logger } from "@tributary/shared/log";

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

/** Retry tuning a consumer takes beyond its config file (tests use short delays). */
export interface ConsumerRetryTuning {
  /** First retry delay ceiling after a retryable failure, in ms. @default 100 */
  retryInitialDelayMs?: number;
  /** Largest retry delay ceiling, in ms. @default 30000 */
  retryMaxDelayMs?: number;
}

/** What {@linkcode handlingRetryOptions} reports to: the hub's retry counter and its log. */
export interface RetryReporting {
  metrics: { retries: { inc(labels: { reason: string }): void } };
  log: Logger;
}

/**
 * The {@linkcode RetryOptions} a consumer hands {@linkcode retryUntilDone}
 * for one message: its tuning, its stop signal, and an `onRetry` that counts
 * the retry by reason (`tributary_hub_retries_total`) and logs `message` at
 * warn level with the topic, attempt and delay.
 *
 * @example
 * ```ts
 * await retryUntilDone(
 *   () => handler.handle({ source: "mqtt", topic, payload }),
 *   handlingRetryOptions(signal, options, context, "message handling failed; retrying", topic),
 * );
 * ```
 */
export function handlingRetryOptions(
  signal: AbortSignal,
  tuning: ConsumerRetryTuning,
  reporting: RetryReporting,
  message: string,
  topic: string,
): RetryOptions {
  return {
    signal,
    initialDelayMs: tuning.retryInitialDelayMs,
    maxDelayMs: tuning.retryMaxDelayMs,
    onRetry: (error, attempt, delayMs) => {
      reporting.metrics.retries.inc({ reason: error.reason });
      reporting.log.warn(message, { topic, attempt, delay_ms: delayMs, error });
    },
  };
}
