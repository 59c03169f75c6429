/**
 * Turns successive readings of monotonic counters (e.g. rows stored per kind)
 * into per-second rates and keeps a bounded history for a chart.
 *
 * @module
 */

/** One point of the history: when, and the rate of each key then. */
export interface RatePoint {
  /** Seconds since the epoch. */
  t: number;
  rates: Record<string, number>;
}

/**
 * Computes rates between consecutive `update` calls. A counter that goes
 * down (the hub restarted) restarts from the new value instead of showing a
 * negative rate.
 *
 * @example
 * ```ts
 * const tracker = new RateTracker(100);
 * tracker.update({ logs: 10 }, 0);
 * tracker.update({ logs: 30 }, 2_000).rates.logs; // 10 per second
 * ```
 */
export class RateTracker {
  readonly #limit: number;
  #previous: { counters: Record<string, number>; atMs: number } | undefined;
  readonly #history: RatePoint[] = [];

  /** @param limit points kept in the history (oldest dropped first). */
  constructor(limit = 150) {
    this.#limit = limit;
  }

  /** Records counters read at `atMs` (ms since the epoch); returns the new point, if any. */
  update(counters: Record<string, number>, atMs: number): RatePoint | undefined {
    const previous = this.#previous;
    this.#previous = { counters: { ...counters }, atMs };
    if (!previous || atMs <= previous.atMs) return undefined;
    const seconds = (atMs - previous.atMs) / 1000;
    const rates: Record<string, number> = {};
    for (const [key, value] of Object.entries(counters)) {
      const before = previous.counters[key] ?? 0;
      rates[key] = (value >= before ? value - before : value) / seconds;
    }
    const point = { t: atMs / 1000, rates };
    this.#history.push(point);
    if (this.#history.length > this.#limit) this.#history.shift();
    return point;
  }

  /** The points so far, oldest first. */
  history(): readonly RatePoint[] {
    return this.#history;
  }
}
