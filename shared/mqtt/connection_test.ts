import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { defaultMqttConnection, mqttAuthTlsOptions, readMqttConnection } from "./connection.ts";

const defaults = defaultMqttConnection({ url: "mqtt://127.0.0.1:1883", client_id: "me" });

Deno.test("defaultMqttConnection takes url and client_id and defaults the rest", () => {
  assertEquals(defaults, {
    url: "mqtt://127.0.0.1:1883",
    client_id: "me",
    username: "",
    password: "",
    tls_ca: "",
    tls_cert: "",
    tls_key: "",
    tls_reject_unauthorized: true,
  });
});

Deno.test("readMqttConnection fills defaults, reads the options and ignores other keys", () => {
  assertEquals(readMqttConnection({}, "m", defaults), defaults);
  const table = {
    url: "mqtts://broker:8883",
    username: "u",
    password: "p",
    tls_ca: "/ca.pem",
    tls_cert: "/c.pem",
    tls_key: "/k.pem",
    tls_reject_unauthorized: false,
    keepalive_s: 5,
  };
  const { keepalive_s: _, ...connection } = table;
  assertEquals(readMqttConnection(table, "m", defaults), { ...defaults, ...connection });
});

Deno.test("readMqttConnection refuses non-MQTT URLs, and empty ones unless they mean something", () => {
  for (const url of ["http://x", "not a url", "mqtt:nohost", ""]) {
    assertThrows(
      () => readMqttConnection({ url }, "m", defaults),
      ConfigError,
      `m.url: got ${JSON.stringify(url)}, expected a URL mqtt://`,
    );
  }
  for (const url of ["mqtt://h:1", "mqtts://h", "tcp://h", "ssl://h", "ws://h/mqtt", "wss://h"]) {
    assertEquals(readMqttConnection({ url }, "m", defaults).url, url);
  }
  const embedded = { emptyUrlMeans: "embedded broker" };
  assertEquals(readMqttConnection({ url: "" }, "m", defaults, embedded).url, "");
  assertThrows(
    () => readMqttConnection({ url: "http://x" }, "m", defaults, embedded),
    ConfigError,
    'm.url: got "http://x", expected "" (embedded broker) or a URL mqtt://',
  );
});

Deno.test("readMqttConnection names bad types and a lone tls_cert or tls_key", () => {
  assertThrows(
    () => readMqttConnection({ username: 1 }, "m", defaults),
    ConfigError,
    "m.username: got 1, expected a string",
  );
  assertThrows(
    () => readMqttConnection({ tls_reject_unauthorized: "no" }, "m", defaults),
    ConfigError,
    'm.tls_reject_unauthorized: got "no", expected true or false',
  );
  assertThrows(
    () => readMqttConnection({ tls_cert: "c.pem" }, "m", defaults),
    ConfigError,
    'm.tls_key: got "", expected set together with tls_cert and tls_key',
  );
  assertThrows(
    () => readMqttConnection({ tls_key: "k.pem" }, "m", defaults),
    ConfigError,
    "m.tls_cert",
  );
});

Deno.test("mqttAuthTlsOptions leaves out empty options and reads the PEM files", () => {
  assertEquals(mqttAuthTlsOptions(defaults, "m"), { rejectUnauthorized: true });
  const dir = Deno.makeTempDirSync();
  try {
    for (const name of ["ca", "cert", "key"]) Deno.writeTextFileSync(`${dir}/${name}.pem`, name);
    const options = mqttAuthTlsOptions({
      ...defaults,
      username: "u",
      password: "p",
      tls_ca: `${dir}/ca.pem`,
      tls_cert: `${dir}/cert.pem`,
      tls_key: `${dir}/key.pem`,
      tls_reject_unauthorized: false,
    }, "m");
    assertEquals(options, {
      rejectUnauthorized: false,
      username: "u",
      password: "p",
      ca: "ca",
      cert: "cert",
      key: "key",
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("mqttAuthTlsOptions names the field of an unreadable PEM file", () => {
  assertThrows(
    () => mqttAuthTlsOptions({ ...defaults, tls_ca: "/nonexistent/ca.pem" }, "m"),
    ConfigError,
    'm.tls_ca: got "/nonexistent/ca.pem", expected a readable PEM file',
  );
});
