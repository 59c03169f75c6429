import { assertEquals } from "@tributary/shared/testing/asserts";
import { createFilter } from "./filter.ts";
import { reading } from "./_testing.ts";

const base = {
  type: "filter" as const,
  include_sensors: [],
  exclude_sensors: [],
  include_metrics: [],
  exclude_metrics: [],
  tags: {},
};

Deno.test("createFilter keeps included, drops excluded, counts the dropped", () => {
  const step = createFilter({ ...base, include_metrics: ["usage_*"], exclude_sensors: ["cpu?*"] });
  const result = step.process([
    reading("cpu", "usage_user", 1),
    reading("cpu0", "usage_user", 2),
    reading("cpu", "load1", 3),
  ]);
  assertEquals(result.rows.map((r) => r.value), [1]);
  assertEquals(result.dropped, new Map([["filtered", 2]]));
});

Deno.test("createFilter matches tag globs", () => {
  const step = createFilter({ ...base, tags: { site: "plant-*" } });
  const result = step.process([
    reading("a", "m", 1, 0, { tags: '{"site":"plant-1"}' }),
    reading("b", "m", 2, 0, { tags: '{"site":"office"}' }),
    reading("c", "m", 3),
  ]);
  assertEquals(result.rows.map((r) => r.sensor), ["a"]);
});
