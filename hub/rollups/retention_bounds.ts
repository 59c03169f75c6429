/**
 * Where a rollup view's retention begins: the first bucket kept. Shared by
 * the retention pass (which deletes older state) and the merge (which leaves
 * rows of older buckets out), so both draw the line at the same bucket.
 *
 * @module
 */

/**
 * The start of the oldest bucket kept at `nowNs`: the bucket holding
 * `nowNs - retention`. Buckets starting before it end at or before that
 * instant, so every row they could hold is older than the retention.
 * `undefined` when `retentionS` is 0 (kept forever).
 *
 * @example
 * ```ts
 * // 1 h retention of minute buckets at 10:30:20 → 09:30:00.
 * keepFromNs(3600, 60_000_000_000n, at1030_20);
 * ```
 */
export function keepFromNs(retentionS: number, widthNs: bigint, nowNs: bigint): bigint | undefined {
  if (retentionS <= 0) return undefined;
  const cutoff = nowNs - BigInt(retentionS) * 1_000_000_000n;
  // Floor division (BigInt division truncates toward zero).
  const rest = ((cutoff % widthNs) + widthNs) % widthNs;
  return cutoff - rest;
}

/**
 * The rows at `rows` (every row of `rowCount` when undefined) whose `ts` is
 * at or after `keepFromNs`. Returns `rows` itself when none is older, so the
 * common case allocates nothing.
 */
export function rowsFrom(
  ts: BigInt64Array,
  rows: ArrayLike<number> | undefined,
  rowCount: number,
  keepFromNs: bigint,
): ArrayLike<number> | undefined {
  const total = rows ? rows.length : rowCount;
  let older = 0;
  for (let i = 0; i < total; i++) {
    if (ts[rows ? rows[i]! : i]! < keepFromNs) older++;
  }
  if (older === 0) return rows;
  const kept = new Uint32Array(total - older);
  let k = 0;
  for (let i = 0; i < total; i++) {
    const r = rows ? rows[i]! : i;
    if (ts[r]! >= keepFromNs) kept[k++] = r;
  }
  return kept;
}
