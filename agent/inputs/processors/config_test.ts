import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { createProcessors, readProcessors } from "./config.ts";

Deno.test("readProcessors reads every type with its defaults", () => {
  const configs = readProcessors([
    { type: "filter", include_metrics: ["a*"] },
    { type: "deadband", delta: 0.5 },
    { type: "enrich", tags: { site: "x" }, sensor_tags: { s1: { room: "r" } } },
    { type: "range", metrics: ["t"], min: -1, max: 1 },
  ], "inputs[0].processors");
  assertEquals(configs, [
    {
      type: "filter",
      include_sensors: [],
      exclude_sensors: [],
      include_metrics: ["a*"],
      exclude_metrics: [],
      tags: {},
    },
    {
      type: "deadband",
      metrics: [],
      delta: 0.5,
      percent: false,
      max_interval_s: 300,
      max_series: 100_000,
    },
    {
      type: "enrich",
      tags: { site: "x" },
      sensor_tags: { s1: { room: "r" } },
      units: {},
      overwrite: false,
    },
    { type: "range", metrics: ["t"], min: -1, max: 1 },
  ]);
  assertEquals(createProcessors(configs).map((p) => p.type), [
    "filter",
    "deadband",
    "enrich",
    "range",
  ]);
  assertEquals(readProcessors(undefined, "f"), []);
});

Deno.test("readProcessors names the bad field", () => {
  const f = "inputs[2].processors";
  assertThrows(() => readProcessors({}, f), ConfigError, `${f}: got {}, expected a list`);
  assertThrows(() => readProcessors([{ type: "smooth" }], f), ConfigError, `${f}[0].type`);
  assertThrows(() => readProcessors([{ type: "deadband" }], f), ConfigError, `${f}[0].delta`);
  assertThrows(() => readProcessors([{ type: "range" }], f), ConfigError, `${f}[0].min`);
  assertThrows(
    () => readProcessors([{ type: "range", min: 2, max: 1 }], f),
    ConfigError,
    `${f}[0].max`,
  );
  assertThrows(
    () => readProcessors([{ type: "filter", tags: { a: 1 } }], f),
    ConfigError,
    `${f}[0].tags.a`,
  );
  assertThrows(
    () => readProcessors([{ type: "enrich", colour: 1 }], f),
    ConfigError,
    `${f}[0].colour`,
  );
});
