import { assertEquals, assertMatch } from "../testing/asserts.ts";
import { findSequenceFault } from "./sequence.ts";

Deno.test("findSequenceFault accepts ascending values within the range, gaps included", () => {
  assertEquals(findSequenceFault(new BigInt64Array([3n, 4n, 9n]), 3n, 9n), undefined);
  assertEquals(findSequenceFault(new BigInt64Array([5n]), 0n, 10n), undefined);
});

Deno.test("findSequenceFault names the first row that breaks the rule", () => {
  assertMatch(findSequenceFault(new BigInt64Array([2n, 3n]), 3n, 9n)!, /^seq\[0\]: got 2/);
  assertMatch(
    findSequenceFault(new BigInt64Array([3n, 3n]), 3n, 9n)!,
    /^seq\[1\]: got 3.*ascending/,
  );
  assertMatch(findSequenceFault(new BigInt64Array([4n, 3n]), 3n, 9n)!, /^seq\[1\]: got 3/);
  assertMatch(
    findSequenceFault(new BigInt64Array([3n, 10n]), 3n, 9n)!,
    /^seq\[1\]: got 10.*lastSeq 9/,
  );
});

Deno.test("findSequenceFault handles the ends of the u64 header range", () => {
  const max = (1n << 63n) - 1n;
  assertEquals(findSequenceFault(new BigInt64Array([max]), max, (1n << 64n) - 1n), undefined);
  assertMatch(findSequenceFault(new BigInt64Array([-1n]), 0n, 5n)!, /seq\[0\]: got -1/);
});
