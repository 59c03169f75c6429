import { assertEquals } from "@tributary/shared/testing/asserts";
import { rowIndex, rowTotal } from "./family.ts";
import { at, batchOf } from "./testing/rows.ts";

Deno.test("rowTotal and rowIndex walk the given rows, or every row when none are given", () => {
  const batch = batchOf("logs", [{ ts: at(0) }, { ts: at(1) }, { ts: at(2) }]);
  assertEquals(rowTotal(batch, undefined), 3);
  assertEquals([0, 1, 2].map((i) => rowIndex(undefined, i)), [0, 1, 2]);
  const rows = Uint32Array.of(2, 0);
  assertEquals(rowTotal(batch, rows), 2);
  assertEquals([0, 1].map((i) => rowIndex(rows, i)), [2, 0]);
});
