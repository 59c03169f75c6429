/**
 * Which rows of a batch are already in the hub, from the sequence ranges of
 * batches committed before. This is the arithmetic behind "nothing twice".
 *
 * @module
 */

/** An inclusive range of sequence numbers, as recorded in `ingested_batches`. */
export interface SeqRange {
  first: bigint;
  last: bigint;
}

/**
 * Merges overlapping or adjacent ranges into a sorted list of disjoint ranges.
 *
 * @example
 * ```ts
 * mergeRanges([{ first: 5n, last: 9n }, { first: 1n, last: 4n }]); // [{ first: 1n, last: 9n }]
 * ```
 */
export function mergeRanges(ranges: readonly SeqRange[]): SeqRange[] {
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const merged: SeqRange[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last && range.first <= last.last + 1n) {
      if (range.last > last.last) last.last = range.last;
    } else {
      merged.push({ first: range.first, last: range.last });
    }
  }
  return merged;
}

/** True when every sequence number in [first, last] lies in one of `merged` (from {@linkcode mergeRanges}). */
export function coversRange(merged: readonly SeqRange[], first: bigint, last: bigint): boolean {
  return merged.some((r) => r.first <= first && r.last >= last);
}

/**
 * Indices of the rows whose `seq` lies in none of `merged` (sorted, disjoint),
 * in row order. Rows are ascending by seq, so one pass over both lists suffices.
 */
export function uncoveredRows(seq: BigInt64Array, merged: readonly SeqRange[]): number[] {
  const kept: number[] = [];
  let r = 0;
  for (let i = 0; i < seq.length; i++) {
    const s = seq[i]!;
    while (r < merged.length && merged[r]!.last < s) r++;
    const range = merged[r];
    if (!range || s < range.first) kept.push(i);
  }
  return kept;
}
