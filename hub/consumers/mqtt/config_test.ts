import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ConfigError } from "@tributary/shared/errors";
import { defaultMqttConfig, subscriptionFilters, validateMqttConfig } from "./config.ts";

Deno.test("validateMqttConfig merges over the defaults", () => {
  const config = validateMqttConfig({
    url: "mqtts://broker:8883",
    username: "hub",
    tls_ca: "/ca.pem",
  }, "mqtt");
  assertEquals(config, {
    ...defaultMqttConfig(),
    url: "mqtts://broker:8883",
    username: "hub",
    tls_ca: "/ca.pem",
  });
  assertEquals(validateMqttConfig(undefined, "mqtt"), defaultMqttConfig());
});

Deno.test("validateMqttConfig refuses bad values naming the field", () => {
  assertThrows(
    () => validateMqttConfig({ url: "not a url" }, "mqtt"),
    ConfigError,
    'mqtt.url: got "not a url"',
  );
  assertThrows(
    () => validateMqttConfig({ client_id: "" }, "mqtt"),
    ConfigError,
    'mqtt.client_id: got "", expected 1 to 256',
  );
  assertThrows(
    () => validateMqttConfig({ tls_key: "k.pem" }, "mqtt"),
    ConfigError,
    "mqtt.tls_cert",
  );
  assertThrows(
    () => validateMqttConfig({ qos: 2 }, "mqtt"),
    ConfigError,
    "mqtt.qos: got 2, expected no such option",
  );
  assertThrows(
    () => validateMqttConfig({ connect_timeout_ms: 0 }, "mqtt"),
    ConfigError,
    "mqtt.connect_timeout_ms",
  );
});

Deno.test("validateMqttConfig: shared_group names a group of an external broker", () => {
  const config = validateMqttConfig(
    { url: "mqtt://127.0.0.1:1883", shared_group: "hubs" },
    "mqtt",
  );
  assertEquals(config.shared_group, "hubs");
  assertEquals(defaultMqttConfig().shared_group, "");
  for (const bad of ["a/b", "hubs+", "#"]) {
    assertThrows(
      () => validateMqttConfig({ url: "mqtt://127.0.0.1:1883", shared_group: bad }, "mqtt"),
      ConfigError,
      `mqtt.shared_group: got ${
        JSON.stringify(bad)
      }, expected a name of 1 to 256 characters without "/", "+" or "#"`,
    );
  }
  // The embedded broker (url "") is aedes, which has no shared subscriptions.
  assertThrows(
    () => validateMqttConfig({ shared_group: "hubs" }, "mqtt"),
    ConfigError,
    "the embedded broker (aedes) has no shared subscriptions",
  );
});

Deno.test("subscriptionFilters: plain without a group; shared batches and plain heartbeats with one", () => {
  assertEquals(subscriptionFilters({ shared_group: "" }), ["tributary/v1/+/+"]);
  assertEquals(subscriptionFilters({ shared_group: "hubs" }), [
    "$share/hubs/tributary/v1/+/readings",
    "$share/hubs/tributary/v1/+/logs",
    "$share/hubs/tributary/v1/+/trades",
    "$share/hubs/tributary/v1/+/quotes",
    "tributary/v1/+/heartbeat",
  ]);
});
