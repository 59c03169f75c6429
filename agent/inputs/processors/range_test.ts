import { assertEquals } from "@tributary/shared/testing/asserts";
import { createRange } from "./range.ts";
import { reading } from "./_testing.ts";

Deno.test("createRange quarantines values outside [min, max] of matching metrics", () => {
  const step = createRange({ type: "range", metrics: ["temp*"], min: -40, max: 125 });
  const result = step.process([
    reading("t", "temperature", 20),
    reading("t", "temperature", -999),
    reading("t", "temperature", 125),
    reading("t", "humidity", -999),
  ]);
  assertEquals(result.rows.map((r) => r.value), [20, 125, -999]);
  assertEquals(result.quarantine?.get("out_of_range")?.map((r) => r.value), [-999]);
});

Deno.test("createRange with one bound leaves the other open", () => {
  const step = createRange({ type: "range", metrics: [], min: 0 });
  assertEquals(step.process([reading("a", "m", 1e300), reading("a", "m", -1)]).rows.length, 1);
});
