/**
 * A small seeded pseudo-random generator (SplitMix32 seeding + Mulberry32), so
 * simulators produce the same data for the same seed and tests can recompute
 * what was sent. Not for cryptography.
 *
 * @module
 */

/** A seeded random source. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Standard normal (mean 0, sd 1), by Box-Muller. */
  normal(): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** Index chosen with probability proportional to `weights[i]`. */
  weighted(weights: readonly number[]): number;
}

/**
 * Creates a generator from a 32-bit seed.
 *
 * @example
 * ```ts
 * const a = createRandom(42), b = createRandom(42);
 * a.next() === b.next(); // true
 * ```
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6D2B79F5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal: () => {
      const u = 1 - next(); // (0, 1]: log(0) is -Infinity
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError("pick: items is empty");
      return items[Math.floor(next() * items.length)] as T;
    },
    weighted: (weights) => {
      const total = weights.reduce((a, b) => a + b, 0);
      let r = next() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i]!;
        if (r < 0) return i;
      }
      return weights.length - 1;
    },
  };
}
