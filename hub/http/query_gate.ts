/**
 * Bounds how many API queries run at once. Each query holds a DuckDB
 * connection and may use every core; without a bound, a burst of heavy
 * queries would slow ingest and every other query together. Callers beyond
 * the limit wait in line; beyond `maxQueued` waiting, they are refused at once
 * with {@linkcode QueryGateFull} (HTTP 429).
 *
 * @module
 */

/** The line of waiting queries is full; answered 429. */
export class QueryGateFull extends Error {
  override readonly name: string = "QueryGateFull";
}

/** Options of {@linkcode QueryGate}. */
export interface QueryGateOptions {
  /** Queries running at once. */
  maxRunning: number;
  /** Queries waiting for a slot; one more is refused. */
  maxQueued: number;
}

/**
 * A counting semaphore with a bounded queue, first come first served.
 *
 * @example
 * ```ts
 * const gate = new QueryGate({ maxRunning: 4, maxQueued: 64 });
 * const release = await gate.acquire();
 * try { await runQuery(); } finally { release(); }
 * ```
 */
export class QueryGate {
  readonly #options: QueryGateOptions;
  readonly #waiting: (() => void)[] = [];
  #running = 0;

  constructor(options: QueryGateOptions) {
    this.#options = options;
  }

  /** Queries running now. */
  get running(): number {
    return this.#running;
  }

  /** Queries waiting now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Resolves with a release function once a slot is free.
   *
   * @throws {QueryGateFull} when `maxQueued` queries already wait.
   */
  acquire(): Promise<() => void> {
    if (this.#running < this.#options.maxRunning) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.length >= this.#options.maxQueued) {
      return Promise.reject(
        new QueryGateFull(
          `too many queries: ${this.#running} running and ${this.#waiting.length} waiting; try again later`,
        ),
      );
    }
    return new Promise((resolve) => {
      // The slot passes straight from the releasing query to this one: #running stays the same.
      this.#waiting.push(() => resolve(this.#releaser()));
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    };
  }
}
