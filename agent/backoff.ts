/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential
 * Backoff And Jitter"): the n-th retry waits a uniform random time in
 * [0, min(max, initial * 2^n)], so many agents retrying after one outage
 * spread out instead of arriving together.
 *
 * @module
 */

/** Options of {@linkcode backoffDelay}. */
export interface BackoffOptions {
  /** Cap of the first retry's wait, in ms. */
  initialMs: number;
  /** Largest wait, in ms. */
  maxMs: number;
  /** Uniform random in [0, 1). @default Math.random */
  random?: () => number;
}

/**
 * The wait before retry number `attempt` (0 for the first retry), in ms.
 *
 * @example
 * ```ts
 * backoffDelay(3, { initialMs: 200, maxMs: 10_000 }); // uniform in [0, 1600]
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
