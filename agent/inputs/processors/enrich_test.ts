import { assertEquals } from "@tributary/shared/testing/asserts";
import { createEnrich } from "./enrich.ts";
import { reading } from "./_testing.ts";

Deno.test("createEnrich adds static tags, per-sensor tags and missing units", () => {
  const step = createEnrich({
    type: "enrich",
    tags: { site: "plant-1", line: "9" },
    sensor_tags: { "t-7": { room: "boiler" } },
    units: { temperature: "degC" },
    overwrite: false,
  });
  const [a, b] = step.process([
    reading("t-7", "temperature", 1, 0, { tags: '{"line":"2"}' }),
    reading("x", "temperature", 2, 0, { unit: "K" }),
  ]).rows;
  assertEquals(JSON.parse(a!.tags), { site: "plant-1", line: "2", room: "boiler" });
  assertEquals(a!.unit, "degC");
  assertEquals(JSON.parse(b!.tags), { site: "plant-1", line: "9" });
  assertEquals(b!.unit, "K");
});

Deno.test("createEnrich overwrites existing tags when asked", () => {
  const step = createEnrich({
    type: "enrich",
    tags: { line: "9" },
    sensor_tags: {},
    units: {},
    overwrite: true,
  });
  const [a] = step.process([reading("s", "m", 1, 0, { tags: '{"line":"2"}' })]).rows;
  assertEquals(a!.tags, '{"line":"9"}');
});
