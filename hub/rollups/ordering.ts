/**
 * Orderings and bucketing shared by the rollup families, written to agree
 * with DuckDB's, so that state merged in SQL (`least`, `greatest`, `>`) and
 * state built in TypeScript pick the same values whatever the order batches
 * arrive in.
 *
 * @module
 */

/**
 * Compares two doubles the way DuckDB orders them: NaN is above every number
 * and equal to itself (IEEE comparison would make NaN unordered, and then the
 * winner of a tie-break would depend on arrival order).
 *
 * @returns negative, zero or positive as `a` is below, equal to or above `b`.
 */
export function compareDouble(a: number, b: number): number {
  const aNaN = Number.isNaN(a);
  const bNaN = Number.isNaN(b);
  if (aNaN || bNaN) return aNaN === bNaN ? 0 : aNaN ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares two timestamps (ns). */
export function compareTs(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The smaller of two doubles in DuckDB's order (what `least(a, b)` returns). */
export function minDouble(a: number, b: number): number {
  return compareDouble(b, a) < 0 ? b : a;
}

/** The larger of two doubles in DuckDB's order (what `greatest(a, b)` returns). */
export function maxDouble(a: number, b: number): number {
  return compareDouble(b, a) > 0 ? b : a;
}

/**
 * The smallest bucket start stored: the first bucket of the TIMESTAMP_NS
 * range would start below int64, which neither the client nor DuckDB can
 * hold (and a batch failing on it would be retried for ever).
 */
export const MIN_BUCKET_NS = -(2n ** 63n) + 1n;

/**
 * The start of the bucket of width `widthNs` that holds `ts`: buckets start
 * at multiples of the width since the epoch, also for times before 1970.
 * The one bucket that would start below int64 is labelled
 * {@linkcode MIN_BUCKET_NS}.
 *
 * @example
 * ```ts
 * bucketStart(90_000_000_000n, 60_000_000_000n); // 60_000_000_000n
 * bucketStart(-1n, 60_000_000_000n); // -60_000_000_000n
 * ```
 */
export function bucketStart(ts: bigint, widthNs: bigint): bigint {
  const start = floorTo(ts, widthNs);
  return start < MIN_BUCKET_NS ? MIN_BUCKET_NS : start;
}

function floorTo(ts: bigint, widthNs: bigint): bigint {
  const rest = ts % widthNs;
  return rest < 0n ? ts - rest - widthNs : ts - rest;
}

/**
 * Maps event times to bucket starts, remembering the last bucket: the rows of
 * a batch mostly fall into a few buckets, and this spares a BigInt division
 * and a number-to-string conversion per row.
 *
 * @example
 * ```ts
 * const buckets = new BucketCache(60_000_000_000n);
 * buckets.bucketOf(90_000_000_000n); // 60_000_000_000n
 * buckets.key; // "60000000000"
 * ```
 */
export class BucketCache {
  readonly #width: bigint;
  #start = 0n;
  #end = 0n;
  #key = "";

  constructor(widthNs: bigint) {
    this.#width = widthNs;
  }

  /** The start of the bucket holding `ts`, which becomes the current bucket. */
  bucketOf(ts: bigint): bigint {
    if (ts < this.#start || ts >= this.#end) {
      const floor = floorTo(ts, this.#width);
      this.#start = floor < MIN_BUCKET_NS ? MIN_BUCKET_NS : floor;
      this.#end = floor + this.#width;
      this.#key = String(this.#start);
    }
    return this.#start;
  }

  /** The current bucket's start as text, for {@linkcode groupKey}. */
  get key(): string {
    return this.#key;
  }
}

/**
 * A Map key for a bucket and a group of one or two strings that no two
 * different groups share: the bucket is digits, and the first of two parts is
 * prefixed by its length, so `("a\u0000b", "c")` and `("a", "b\u0000c")`
 * stay apart whatever characters hostile input carries.
 */
export function groupKey(bucketKey: string, first: string, second?: string): string {
  return second === undefined
    ? `${bucketKey}|${first}`
    : `${bucketKey}|${first.length}:${first}${second}`;
}

/**
 * SQL that is true when the tuple `newer` is above the tuple `older`
 * lexicographically (DuckDB's comparison operators, so NaN is the top value).
 * Used to decide whether an incoming `last` (or, with `<`, `first`) replaces
 * the stored one.
 *
 * @example
 * ```ts
 * tupleAboveSql(["excluded.last_ts", "excluded.last_value"], ["last_ts", "last_value"], ">");
 * // (excluded.last_ts > last_ts OR (excluded.last_ts = last_ts AND excluded.last_value > last_value))
 * ```
 */
export function tupleAboveSql(
  newer: readonly string[],
  older: readonly string[],
  operator: ">" | "<",
): string {
  const n = newer.length;
  if (n === 0 || n !== older.length) {
    throw new Error("tupleAboveSql: tuples of equal, non-zero length");
  }
  let sql = `${newer[n - 1]} ${operator} ${older[n - 1]}`;
  for (let i = n - 2; i >= 0; i--) {
    sql = `${newer[i]} ${operator} ${older[i]} OR (${newer[i]} = ${older[i]} AND ${sql})`;
    sql = `(${sql})`;
  }
  return n === 1 ? `(${sql})` : sql;
}
