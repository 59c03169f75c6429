import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertRejects, assertThrows } from "@tributary/shared/testing/asserts";
import { DEFAULTS, loadConfig, parseConfig } from "./config.ts";
import { defaultMqttConfig } from "./transports/mqtt/mod.ts";

const minimal = '[agent]\nid = "edge-1"\n';

Deno.test("parseConfig fills every default from a minimal file", () => {
  const config = parseConfig(minimal);
  assertEquals(config.agent, {
    id: "edge-1",
    data_dir: "./data/agent",
    log_level: "info",
    heartbeat_interval_s: 5,
  });
  assertEquals(config.http.listen, "127.0.0.1:8081");
  assertEquals(config.http.address, { hostname: "127.0.0.1", port: 8081 });
  assertEquals(config.shipper, { ...DEFAULTS.shipper });
  assertEquals(config.buffer, {
    max_bytes: 1_073_741_824,
    max_age_s: 0,
    policy: "drop_oldest",
    priorities: { trades: 0, quotes: 0, readings: 1, logs: 2 },
    memory_limit_mib: 16,
    allocator_decay_ms: 0,
    segment_rows: 983_040,
  });
  assertEquals(
    parseConfig(`${minimal}[buffer]\nallocator_decay_ms = -1`).buffer.allocator_decay_ms,
    -1,
  );
  // A partial priorities table keeps the other streams' defaults.
  assertEquals(
    parseConfig(`${minimal}[buffer.priorities]\nlogs = 0\n`).buffer.priorities,
    { trades: 0, quotes: 0, readings: 1, logs: 0 },
  );
  assertEquals(config.transport.type, "mqtt");
  assertEquals(config.transport.config, defaultMqttConfig());
  assertEquals(config.inputs, []);
});

Deno.test("parseConfig reads every section and the inputs array", () => {
  const config = parseConfig(`
[agent]
id = "edge-7"
data_dir = "/var/lib/tributary"
log_level = "debug"
[http]
listen = "127.0.0.1:0"
[shipper]
max_batch_rows = 1000
codec = "gzip"
[transport]
type = "mqtt"
[transport.mqtt]
url = "mqtts://hub.example:8883"
username = "edge-7"
[[inputs]]
type = "sim_sensors"
sensors = 4
[[inputs]]
type = "sim_market"
rate = 50
`);
  assertEquals(config.agent.log_level, "debug");
  assertEquals(config.http.address.port, 0);
  assertEquals([config.shipper.max_batch_rows, config.shipper.codec], [1000, "gzip"]);
  assertEquals((config.transport.config as { url: string }).url, "mqtts://hub.example:8883");
  assertEquals(config.inputs.map((i) => i.type), ["sim_sensors", "sim_market"]);
  assertEquals((config.inputs[1]!.config as { rate: number }).rate, 50);
});

Deno.test("parseConfig lets TRIBUTARY_MQTT_PASSWORD override the file's password", () => {
  const file = `${minimal}[transport.mqtt]\npassword = "in-file"\n`;
  const fromFile = parseConfig(file);
  assertEquals((fromFile.transport.config as { password: string }).password, "in-file");
  const fromEnv = parseConfig(file, { env: { TRIBUTARY_MQTT_PASSWORD: "from-env" } });
  assertEquals((fromEnv.transport.config as { password: string }).password, "from-env");
  const noSection = parseConfig(minimal, { env: { TRIBUTARY_MQTT_PASSWORD: "x" } });
  assertEquals((noSection.transport.config as { password: string }).password, "x");
});

Deno.test("parseConfig errors name the field, the value and what is allowed", () => {
  const cases: [string, string][] = [
    ["", "agent.id: got nothing, expected 1 to 64 characters"],
    ['[agent]\nid = "-bad"\n', 'agent.id: got "-bad"'],
    [
      `${minimal}log_level = "verbose"`,
      'agent.log_level: got "verbose", expected one of debug, info, warn, error',
    ],
    [
      `${minimal}[http]\nlisten = "8081"`,
      'http.listen: got "8081", expected an address "host:port"',
    ],
    [`${minimal}[http]\nlisten = "127.0.0.1:70000"`, "http.listen"],
    [
      `${minimal}heartbeat_interval_s = -1`,
      "agent.heartbeat_interval_s: got -1, expected an integer from 0 to 3600",
    ],
    [
      `${minimal}[shipper]\nmax_batch_rows = 0`,
      "shipper.max_batch_rows: got 0, expected an integer from 1 to 1000000",
    ],
    [
      `${minimal}[shipper]\ncodec = "lz4"`,
      'shipper.codec: got "lz4", expected one of "none", "gzip", "zstd"',
    ],
    [`${minimal}[shipper]\nin_flight = 2.5`, "shipper.in_flight: got 2.5"],
    [
      `${minimal}[shipper]\nstall_warn_ms = -1`,
      "shipper.stall_warn_ms: got -1, expected an integer from 0 to 86400000",
    ],
    [
      `${minimal}[shipper]\nretry_initial_ms = 500\nretry_max_ms = 100`,
      "shipper.retry_max_ms: got 100, expected at least",
    ],
    [`${minimal}[shipper]\nbatch_rows = 5`, "shipper.batch_rows: got 5, expected no such option"],
    [
      `${minimal}[buffer]\npolicy = "drop_random"`,
      'buffer.policy: got "drop_random", expected one of "drop_oldest", "drop_newest", "block"',
    ],
    [`${minimal}[buffer]\nmax_bytes = 0`, "buffer.max_bytes: got 0, expected an integer"],
    [`${minimal}[buffer]\nmax_age_s = -5`, "buffer.max_age_s: got -5"],
    [
      `${minimal}[buffer]\nmemory_limit_mib = 8`,
      "buffer.memory_limit_mib: got 8, expected an integer from 16",
    ],
    [
      `${minimal}[buffer]\nsegment_rows = 2048`,
      "buffer.segment_rows: got 2048, expected an integer from 122880 to 1073741824",
    ],
    [
      `${minimal}[buffer]\nallocator_decay_ms = -2`,
      "buffer.allocator_decay_ms: got -2, expected an integer from -1 to 3600000",
    ],
    [
      `${minimal}[buffer.priorities]\nmetrics = 1`,
      "buffer.priorities.metrics: got 1, expected no such option",
    ],
    [
      `${minimal}[buffer.priorities]\nlogs = 10`,
      "buffer.priorities.logs: got 10, expected an integer from 0 to 9",
    ],
    [`${minimal}[transport]\ntype = "carrier-pigeon"`, 'transport.type: got "carrier-pigeon"'],
    [`${minimal}[transport.mqtt]\nkeepalive_s = "30"`, 'transport.mqtt.keepalive_s: got "30"'],
    [
      `${minimal}[[inputs]]\ntype = "sim_logs"\nrate = 0`,
      "inputs[0].rate: got 0, expected a number from 0.001",
    ],
    [`${minimal}[[inputs]]\ntype = "nope"`, 'inputs[0].type: got "nope"'],
    [`${minimal}inputs = 3`, "agent.inputs: got 3, expected no such option"],
    [`inputs = 3\n${minimal}`, "inputs: got 3, expected an array of tables"],
    [`${minimal}[metrics]\nport = 1`, 'metrics: got {"port":1}, expected no such option'],
  ];
  for (const [text, expected] of cases) {
    assertThrows(() => parseConfig(text), ConfigError, expected);
  }
});

Deno.test("parseConfig reports TOML syntax errors against the source name", () => {
  assertThrows(
    () => parseConfig("[agent\n", { source: "agent.toml" }),
    ConfigError,
    "agent.toml: got",
  );
});

Deno.test("loadConfig reads a file and reports a missing one as a ConfigError", async () => {
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(path, minimal);
    assertEquals((await loadConfig(path)).agent.id, "edge-1");
  } finally {
    await Deno.remove(path);
  }
  await assertRejects(
    () => loadConfig("/nonexistent/agent.toml"),
    ConfigError,
    '--config: got "/nonexistent/agent.toml"',
  );
});

Deno.test("agent.example.toml parses and its values equal the code's defaults", async () => {
  const text = await Deno.readTextFile(new URL("./agent.example.toml", import.meta.url));
  const example = parseConfig(text);
  const defaults = parseConfig(minimal);
  assertEquals(example.http, defaults.http);
  assertEquals(example.shipper, defaults.shipper);
  assertEquals(example.buffer, defaults.buffer);
  assertEquals({ ...example.agent, id: "edge-1" }, defaults.agent);
  assertEquals(example.transport.config, defaults.transport.config);
  for (const input of example.inputs) {
    const { INPUT_FACTORIES } = await import("./inputs/registry.ts");
    assertEquals(input.config, INPUT_FACTORIES[input.type]!.defaultConfig(), input.type);
  }
  assertEquals(example.inputs.map((i) => i.type), ["sim_sensors", "sim_logs", "sim_market"]);
});
