import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { defaultMqttConfig } from "./mqtt/mod.ts";
import { configureTransport } from "./registry.ts";

Deno.test("configureTransport defaults to mqtt with its defaults", () => {
  const t = configureTransport(undefined);
  assertEquals(t.type, "mqtt");
  assertEquals(t.config, defaultMqttConfig());
});

Deno.test("configureTransport validates the table named after the type", () => {
  const t = configureTransport({ type: "mqtt", mqtt: { url: "mqtts://broker:8883" } });
  assertEquals((t.config as { url: string }).url, "mqtts://broker:8883");
  assertThrows(
    () => configureTransport({ type: "amqp" }),
    ConfigError,
    'transport.type: got "amqp", expected one of "mqtt", "kafka"',
  );
  const kafka = configureTransport({ type: "kafka", kafka: { brokers: ["k1:9092"] } });
  assertEquals(kafka.type, "kafka");
  assertEquals((kafka.config as { brokers: string[] }).brokers, ["k1:9092"]);
  assertThrows(
    () => configureTransport({ mqtt: { url: 5 } }),
    ConfigError,
    "transport.mqtt.url: got 5",
  );
  assertThrows(() => configureTransport({ amqp: {} }), ConfigError, "transport.amqp");
});
