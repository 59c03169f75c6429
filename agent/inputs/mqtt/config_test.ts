import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import type { InputFactory } from "../input.ts";
import { assertSampleMatchesDefaults } from "../testing/sample_config.ts";
import { mqttInput } from "./mod.ts";

Deno.test("mqtt sample.toml names every option at its default", async () => {
  await assertSampleMatchesDefaults(
    mqttInput as InputFactory<unknown>,
    new URL("./sample.toml", import.meta.url),
  );
});

Deno.test("mqttInput.validate names bad fields", () => {
  const f = "inputs[1]";
  assertEquals(mqttInput.validate({ qos: 0 }, f).qos, 0);
  assertThrows(() => mqttInput.validate({ qos: 2 }, f), ConfigError, `${f}.qos`);
  assertThrows(() => mqttInput.validate({ topics: [] }, f), ConfigError, `${f}.topics`);
  assertThrows(() => mqttInput.validate({ topics: ["a/#/b"] }, f), ConfigError, `${f}.topics`);
  assertThrows(() => mqttInput.validate({ topics: ["a+/b"] }, f), ConfigError, `${f}.topics`);
  assertThrows(() => mqttInput.validate({ url: "http://x" }, f), ConfigError, `${f}.url`);
  assertThrows(() => mqttInput.validate({ format: "xml" }, f), ConfigError, `${f}.format`);
  assertThrows(
    () => mqttInput.validate({ format: "value", topic_levels: "_/sensor" }, f),
    ConfigError,
    `${f}.topic_levels`,
  );
  assertThrows(
    () => mqttInput.validate({ topic_levels: "_/device" }, f),
    ConfigError,
    `${f}.topic_levels`,
  );
});
