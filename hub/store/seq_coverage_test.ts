import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { coversRange, mergeRanges, uncoveredRows } from "./seq_coverage.ts";

Deno.test("mergeRanges joins overlapping and adjacent ranges and sorts them", () => {
  assertEquals(
    mergeRanges([
      { first: 20n, last: 30n },
      { first: 1n, last: 4n },
      { first: 5n, last: 9n },
      { first: 8n, last: 12n },
    ]),
    [{ first: 1n, last: 12n }, { first: 20n, last: 30n }],
  );
  assertEquals(mergeRanges([]), []);
});

Deno.test("coversRange is true only when one merged range holds the whole range", () => {
  const merged = mergeRanges([{ first: 1n, last: 10n }, { first: 20n, last: 30n }]);
  assert(coversRange(merged, 1n, 10n));
  assert(coversRange(merged, 22n, 25n));
  assert(!coversRange(merged, 5n, 21n));
  assert(!coversRange(merged, 0n, 3n));
  assert(!coversRange([], 1n, 1n));
});

Deno.test("uncoveredRows keeps the rows outside every range, in order", () => {
  const seq = BigInt64Array.from([1n, 2n, 3n, 5n, 8n, 9n, 15n, 21n]);
  const merged = mergeRanges([{ first: 2n, last: 5n }, { first: 9n, last: 20n }]);
  assertEquals(uncoveredRows(seq, merged), [0, 4, 7]);
  assertEquals(uncoveredRows(seq, []), [0, 1, 2, 3, 4, 5, 6, 7]);
});
