/**
 * Options every simulator shares (`seed`, `rate`, `limit`, `tick_ms`) and
 * their validation.
 *
 * @module
 */
import {
  readInt,
  readNumber,
  readTable,
  rejectUnknownKeys,
  type Table,
} from "@tributary/shared/config/fields";

/** Options shared by the simulators. */
export interface SimOptions {
  /** Seed of the generator: same seed and options, same rows. @default 1 */
  seed: number;
  /** Rows per second, per kind. @default 200 */
  rate: number;
  /** Stop after this many rows per kind; 0 = unlimited. @default 0 */
  limit: number;
  /** Milliseconds between writes to the buffer. @default 50 */
  tick_ms: number;
}

/** The defaults of {@linkcode SimOptions}. */
export function defaultSimOptions(): SimOptions {
  return { seed: 1, rate: 200, limit: 0, tick_ms: 50 };
}

/**
 * Reads the shared options from `raw` (refusing keys outside
 * `SimOptions` + `type` + `extraKeys`) and returns them with the raw table,
 * for the simulator to read its own keys.
 *
 * @throws {ConfigError} naming the field, value and what is allowed.
 */
export function readSimOptions(
  raw: unknown,
  field: string,
  extraKeys: readonly string[],
): { options: SimOptions; table: Table } {
  const table = readTable(raw, field);
  rejectUnknownKeys(table, ["type", "seed", "rate", "limit", "tick_ms", ...extraKeys], field);
  const d = defaultSimOptions();
  return {
    table,
    options: {
      seed: readInt(table.seed, `${field}.seed`, d.seed, { min: 0, max: 2 ** 32 - 1 }),
      rate: readNumber(table.rate, `${field}.rate`, d.rate, { min: 0.001, max: 1_000_000 }),
      limit: readInt(table.limit, `${field}.limit`, d.limit, {
        min: 0,
        max: Number.MAX_SAFE_INTEGER,
      }),
      tick_ms: readInt(table.tick_ms, `${field}.tick_ms`, d.tick_ms, { min: 1, max: 60_000 }),
    },
  };
}

/** Derives an independent 32-bit seed for a sub-generator (e.g. one per symbol). */
export function subSeed(seed: number, salt: number): number {
  let h = (seed ^ Math.imul(salt + 0x9E3779B9, 0x85EBCA6B)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7FEB352D) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846CA68B) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
