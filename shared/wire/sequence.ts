/**
 * The rule every batch's `seq` column follows, shared by encoder and decoder:
 * strictly ascending, within [firstSeq, lastSeq]. Gaps are allowed (rows a
 * buffer policy dropped).
 *
 * @module
 */

/**
 * Describes the first row that breaks the sequence rule, or returns
 * `undefined` when every row keeps it.
 *
 * @example
 * ```ts
 * findSequenceFault(new BigInt64Array([5n, 7n]), 5n, 9n); // undefined
 * findSequenceFault(new BigInt64Array([5n, 5n]), 5n, 9n); // "seq[1]: got 5, ..."
 * ```
 */
export function findSequenceFault(
  seq: BigInt64Array,
  firstSeq: bigint,
  lastSeq: bigint,
): string | undefined {
  let previous = firstSeq - 1n;
  for (let i = 0; i < seq.length; i++) {
    const value = seq[i]!;
    if (value <= previous) {
      return i === 0
        ? `seq[0]: got ${value}, expected at least firstSeq ${firstSeq}`
        : `seq[${i}]: got ${value}, expected more than seq[${i - 1}] = ${previous} (ascending)`;
    }
    if (value > lastSeq) return `seq[${i}]: got ${value}, expected at most lastSeq ${lastSeq}`;
    previous = value;
  }
  return undefined;
}
