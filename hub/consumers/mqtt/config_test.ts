import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ConfigError } from "@tributary/shared/errors";
import { defaultMqttConfig, validateMqttConfig } from "./config.ts";

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
