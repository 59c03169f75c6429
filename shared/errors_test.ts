import { assertEquals } from "./testing/asserts.ts";
import { ConfigError } from "./errors.ts";

Deno.test("ConfigError names the field, the value and what is allowed", () => {
  assertEquals(
    new ConfigError("transport.mqtt.qos", 3, "0 or 1").message,
    "transport.mqtt.qos: got 3, expected 0 or 1",
  );
  assertEquals(
    new ConfigError("agent.id", undefined, "a string").message,
    "agent.id: got nothing, expected a string",
  );
});
