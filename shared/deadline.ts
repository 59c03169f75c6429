/**
 * Waiting for one step within a deadline: a component's start-up (the hub's
 * MQTT and Kafka consumers, whose `start()` must resolve once they receive
 * or fail with an error that names the broker and the limit, leaving nothing
 * running behind), an ack produce, a cold-tier fetch.
 *
 * @module
 */

/** Options of {@linkcode withinDeadline}. */
export interface DeadlineOptions {
  /** How long to wait, in ms. */
  timeoutMs: number;
  /** The error to reject with once `timeoutMs` has passed (e.g. a `RetryableError`). */
  onTimeout: () => Error;
  /** Aborting rejects at once with `onAbort()` (or the signal's reason). */
  signal?: AbortSignal;
  /** The error to reject with when `signal` aborts. @default the signal's reason */
  onAbort?: () => Error;
}

/**
 * Resolves as `work` does, unless `timeoutMs` passes or `signal` aborts
 * first; then it rejects with `onTimeout()` / `onAbort()`. `work` keeps
 * running (the caller tears it down); its later rejection is handled here, so
 * it is never reported as unhandled. Leaves no timer or listener behind.
 *
 * @throws whatever `work` rejects with, `onTimeout()` or `onAbort()`.
 * @example
 * ```ts
 * await withinDeadline(producer.send(record), {
 *   timeoutMs: 5_000,
 *   onTimeout: () => new Error("ack produce timed out"),
 * });
 * ```
 */
export async function withinDeadline<T>(work: Promise<T>, options: DeadlineOptions): Promise<T> {
  const { signal } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const cutShort = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(options.onTimeout()), options.timeoutMs);
    if (signal === undefined) return;
    onAbort = () => reject(options.onAbort?.() ?? signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, cutShort]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}

/** Options of {@linkcode startWithinDeadline}. */
export interface StartDeadlineOptions extends DeadlineOptions {
  /** Undoes a start that failed or timed out (the component's idempotent `stop()`). */
  stop: () => Promise<void>;
}

/**
 * A component's start-up: waits for `ready` like {@linkcode withinDeadline};
 * when it fails, times out or is aborted, calls `stop()` before rejecting, so
 * a failed `start()` leaves no connection, timer or client behind.
 *
 * @throws whatever `ready` rejects with, `onTimeout()` or `onAbort()` (after `stop()`).
 * @example
 * ```ts
 * await startWithinDeadline(this.#connect(), {
 *   timeoutMs: config.connect_timeout_ms,
 *   onTimeout: () => new RetryableError("connect_timeout", "no connection in time"),
 *   stop: () => this.stop(),
 * });
 * ```
 */
export async function startWithinDeadline(
  ready: Promise<void>,
  options: StartDeadlineOptions,
): Promise<void> {
  try {
    await withinDeadline(ready, options);
  } catch (error) {
    await options.stop();
    throw error;
  }
}
