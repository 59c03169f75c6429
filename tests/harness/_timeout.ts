/**
 * Internal: bounded waits that always clear their timer (the op sanitizer
 * fails a test that leaves one behind).
 *
 * @module
 */

/** The marker {@linkcode raceTimeout} returns when time ran out first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/** Resolves with `promise`'s value, or with {@linkcode TIMED_OUT} after `ms`. */
export async function raceTimeout<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sleeps `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
