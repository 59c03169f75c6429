import { DuckDBInstance } from "@duckdb/node-api";
import { assertEquals } from "@tributary/shared/testing/asserts";
import {
  BucketCache,
  bucketStart,
  compareDouble,
  groupKey,
  maxDouble,
  MIN_BUCKET_NS,
  minDouble,
  tupleAboveSql,
} from "./ordering.ts";

Deno.test("compareDouble puts NaN above every number, equal to itself", () => {
  assertEquals(compareDouble(NaN, Infinity), 1);
  assertEquals(compareDouble(-Infinity, NaN), -1);
  assertEquals(compareDouble(NaN, NaN), 0);
  assertEquals(compareDouble(1, 2), -1);
  assertEquals(compareDouble(2, 2), 0);
  assertEquals(minDouble(NaN, 3), 3);
  assertEquals(maxDouble(3, NaN), NaN);
});

Deno.test("minDouble, maxDouble and tupleAboveSql agree with DuckDB's least, greatest and >", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const values = [NaN, -Infinity, -1.5, 0, 2, Infinity];
    for (const a of values) {
      for (const b of values) {
        const sql = `SELECT least(a, b), greatest(a, b), ${
          tupleAboveSql(["a", "b"], ["b", "a"], ">")
        } FROM (SELECT '${a}'::DOUBLE AS a, '${b}'::DOUBLE AS b)`;
        const [row] = (await connection.runAndReadAll(sql)).getRows();
        const above = compareDouble(a, b) > 0 ||
          (compareDouble(a, b) === 0 && compareDouble(b, a) > 0);
        assertEquals(row, [minDouble(a, b), maxDouble(a, b), above], `${a}, ${b}`);
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});

Deno.test("bucketStart floors to multiples of the width since the epoch, also before 1970", () => {
  const minute = 60_000_000_000n;
  assertEquals(bucketStart(0n, minute), 0n);
  assertEquals(bucketStart(minute - 1n, minute), 0n);
  assertEquals(bucketStart(minute, minute), minute);
  assertEquals(bucketStart(-1n, minute), -minute);
  assertEquals(bucketStart(-minute, minute), -minute);
  // The first bucket of the int64 range would start below it.
  assertEquals(bucketStart(-(2n ** 63n), minute), MIN_BUCKET_NS);
  assertEquals(bucketStart(2n ** 63n - 1n, 1_000_000_000n), 2n ** 63n - 1n - 854_775_807n);
});

Deno.test("groupKey keeps apart groups that plain joining would merge", () => {
  assertEquals(groupKey("1", "a\u0000b", "c") === groupKey("1", "a", "b\u0000c"), false);
  assertEquals(groupKey("1", "ab", "c") === groupKey("1", "a", "bc"), false);
  assertEquals(groupKey("12", "x") === groupKey("1", "2|x"), false);
  assertEquals(groupKey("5", "x", "y"), groupKey("5", "x", "y"));
});

Deno.test("BucketCache gives bucketStart's answer in any order of times", () => {
  const minute = 60_000_000_000n;
  const cache = new BucketCache(minute);
  const low = -(2n ** 63n) + 5n;
  for (const ts of [5n, minute + 1n, 7n, -3n, minute - 1n, 3n * minute, 0n, low, low + minute]) {
    assertEquals(cache.bucketOf(ts), bucketStart(ts, minute));
    assertEquals(cache.key, String(bucketStart(ts, minute)));
  }
});

Deno.test("tupleAboveSql builds a lexicographic comparison", () => {
  assertEquals(tupleAboveSql(["n"], ["o"], "<"), "(n < o)");
  assertEquals(
    tupleAboveSql(["n1", "n2"], ["o1", "o2"], ">"),
    "(n1 > o1 OR (n1 = o1 AND n2 > o2))",
  );
});
