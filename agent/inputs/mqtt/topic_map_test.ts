import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { parseTopicLevels } from "./topic_map.ts";

Deno.test("parseTopicLevels maps levels to sensor, metric, unit and tags", () => {
  const map = parseTopicLevels("tag:site/_/sensor/metric/unit", "inputs[0].topic_levels");
  assertEquals(map.provides, ["tag:site", "sensor", "metric", "unit"]);
  assertEquals(map("plant-1/dev/t-7/temperature/degC/extra"), {
    sensor: "t-7",
    metric: "temperature",
    unit: "degC",
    tags: { site: "plant-1" },
  });
  assertEquals(map("plant-1/dev"), { tags: { site: "plant-1" } });
  assertEquals(parseTopicLevels("", "f")("a/b"), { tags: {} });
});

Deno.test("parseTopicLevels names the bad level", () => {
  assertThrows(
    () => parseTopicLevels("_/sensr", "inputs[1].topic_levels"),
    ConfigError,
    'inputs[1].topic_levels: got "_/sensr", expected levels separated by "/"',
  );
  assertThrows(() => parseTopicLevels("sensor/sensor", "f"), ConfigError, "at most once");
});
