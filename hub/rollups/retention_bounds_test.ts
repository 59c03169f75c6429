import { assertEquals } from "@tributary/shared/testing/asserts";
import { keepFromNs, rowsFrom } from "./retention_bounds.ts";

const S = 1_000_000_000n;
const MIN = 60n * S;

Deno.test("keepFromNs is the start of the bucket holding now - retention, none for 0", () => {
  const now = 1000n * MIN + 20n * S; // minute 1000 + 20 s
  assertEquals(keepFromNs(3600, MIN, now), 940n * MIN);
  // On a boundary, the bucket ending exactly at the cutoff is expired.
  assertEquals(keepFromNs(3600, MIN, 1000n * MIN), 940n * MIN);
  assertEquals(keepFromNs(30, MIN, now), 999n * MIN);
  assertEquals(keepFromNs(0, MIN, now), undefined);
  // Before the epoch, still the floor (BigInt division truncates toward zero).
  assertEquals(keepFromNs(90, MIN, 0n), -2n * MIN);
});

Deno.test("rowsFrom keeps rows at or after the boundary and returns the same rows when none is older", () => {
  const ts = BigInt64Array.from([5n, 1n, 9n, 3n]);
  assertEquals(rowsFrom(ts, undefined, 4, 0n), undefined);
  const subset = [0, 2];
  assertEquals(rowsFrom(ts, subset, 4, 5n), subset);
  assertEquals(Array.from(rowsFrom(ts, undefined, 4, 4n)!), [0, 2]);
  assertEquals(Array.from(rowsFrom(ts, [1, 2, 3], 4, 4n)!), [2]);
  assertEquals(Array.from(rowsFrom(ts, undefined, 4, 100n)!), []);
});
