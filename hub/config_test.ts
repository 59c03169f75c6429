import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ConfigError } from "@tributary/shared/errors";
import {
  defaultHubConfig,
  formatListen,
  loadHubConfig,
  MQTT_PASSWORD_ENV,
  parseHubConfig,
} from "./config.ts";

const noEnv = { env: () => undefined };

Deno.test("parseHubConfig returns the defaults for an empty file", () => {
  assertEquals(parseHubConfig("", noEnv), defaultHubConfig());
});

Deno.test("parseHubConfig merges values over the defaults", () => {
  const config = parseHubConfig(
    `[hub]\ndata_dir = "/tmp/x"\nlog_level = "debug"\n[http]\nlisten = "127.0.0.1:0"\n` +
      `[mqtt]\nurl = "mqtt://127.0.0.1:1884"\n[limits]\nmax_rows_per_batch = 10`,
    noEnv,
  );
  assertEquals(config.hub, { data_dir: "/tmp/x", log_level: "debug", stale_after_s: 15 });
  assertEquals(config.http.listen, { hostname: "127.0.0.1", port: 0 });
  assertEquals(config.mqtt.url, "mqtt://127.0.0.1:1884");
  assertEquals(config.mqtt.client_id, "tributary-hub");
  assertEquals(config.limits.max_rows_per_batch, 10);
  assertEquals(config.limits.max_message_bytes, 67_108_864);
});

Deno.test("parseHubConfig takes the MQTT password from the environment over the file", () => {
  const env = (name: string) => name === MQTT_PASSWORD_ENV ? "from-env" : undefined;
  assertEquals(parseHubConfig(`[mqtt]\npassword = "in-file"`, { env }).mqtt.password, "from-env");
  assertEquals(parseHubConfig(`[mqtt]\npassword = "in-file"`, noEnv).mqtt.password, "in-file");
});

Deno.test("parseHubConfig names the field, the value and what is allowed", () => {
  const cases: [string, string][] = [
    [`[hub]\nlog_level = "loud"`, `hub.log_level: got "loud", expected one of debug`],
    [`[hub]\nstale_after_s = 0`, `hub.stale_after_s: got 0, expected an integer from 1 to 86400`],
    [`[http]\nlisten = "8080"`, `http.listen: got "8080", expected "host:port"`],
    [`[http]\nlisten = "127.0.0.1:70000"`, `http.listen: got "127.0.0.1:70000"`],
    [`[mqtt]\nurl = "http://x"`, `mqtt.url: got "http://x", expected "" (embedded broker)`],
    [
      `[limits]\nmax_rows_per_batch = 0`,
      `limits.max_rows_per_batch: got 0, expected an integer >= 1`,
    ],
    [`[limits]\nmax_message_bytes = "big"`, `limits.max_message_bytes: got "big"`],
    [`[mqtt]\ntls_reject_unauthorized = "no"`, `mqtt.tls_reject_unauthorized: got "no"`],
    [`[mqtt]\ntls_cert = "c.pem"`, `mqtt.tls_key: got "", expected set together`],
    [`[hub]\ndata_dri = "x"`, `hub.data_dri: got "x", expected no such option`],
    [`[hubb]\n`, `hubb: got {}, expected no such option`],
    [`[hub]\ndata_dir = ""`, `hub.data_dir: got "", expected a non-empty string`],
    [`hub = 3`, `hub: got 3, expected a table`],
    [`[hub`, `(file): got`],
  ];
  for (const [text, message] of cases) {
    assertThrows(() => parseHubConfig(text, noEnv), ConfigError, message);
  }
});

Deno.test("parseHubConfig accepts a bracketed IPv6 listen address", () => {
  const config = parseHubConfig(`[broker]\nlisten = "[::1]:0"`, noEnv);
  assertEquals(config.broker.listen, { hostname: "::1", port: 0 });
  assertEquals(formatListen(config.broker.listen), "[::1]:0");
});

Deno.test("loadHubConfig refuses a missing file with a ConfigError", async () => {
  let error: unknown;
  try {
    await loadHubConfig("/nonexistent/hub.toml", noEnv);
  } catch (e) {
    error = e;
  }
  assertEquals(error instanceof ConfigError && error.field, "--config");
});

Deno.test("loadHubConfig matches hub.example.toml to the defaults", async () => {
  const path = new URL("./hub.example.toml", import.meta.url).pathname;
  assertEquals(await loadHubConfig(path, noEnv), defaultHubConfig());
});
