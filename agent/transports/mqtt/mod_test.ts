import { ConfigError, PermanentError, RetryableError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "@tributary/shared/testing/asserts";
import type { OutgoingBatch } from "../transport.ts";
import { defaultMqttConfig, type MqttConfig, mqttTransport, validateMqttConfig } from "./mod.ts";
import { startTestBroker, until } from "./test_broker.ts";

const ctx = { agent: "edge-1", log: createLogger({ sink: () => {} }) };

function message(bytes: number[], stream: OutgoingBatch["stream"] = "readings"): OutgoingBatch {
  return {
    agent: "edge-1",
    stream,
    firstSeq: 1n,
    lastSeq: 1n,
    rowCount: 1,
    bytes: Uint8Array.from(bytes),
  };
}

function config(url: string, extra: Partial<MqttConfig> = {}): MqttConfig {
  return {
    ...defaultMqttConfig(),
    url,
    // These tests have no hub: the broker's PUBACK confirms (hub acks: hub_ack_test.ts).
    ack: "broker",
    reconnect_initial_ms: 20,
    reconnect_max_ms: 50,
    ...extra,
  };
}

Deno.test("validateMqttConfig fills defaults and names bad fields", () => {
  assertEquals(validateMqttConfig({}, "transport.mqtt"), defaultMqttConfig());
  assertThrows(
    () => validateMqttConfig({ url: "http://x" }, "transport.mqtt"),
    ConfigError,
    'transport.mqtt.url: got "http://x"',
  );
  assertThrows(
    () => validateMqttConfig({ keepalive_s: -1 }, "transport.mqtt"),
    ConfigError,
    "transport.mqtt.keepalive_s",
  );
  assertThrows(
    () => validateMqttConfig({ tls_cert: "a.pem" }, "transport.mqtt"),
    ConfigError,
    "transport.mqtt.tls_key",
  );
  assertThrows(
    () => validateMqttConfig({ qos: 2 }, "transport.mqtt"),
    ConfigError,
    "transport.mqtt.qos: got 2, expected no such option",
  );
});

Deno.test("MqttTransport.send resolves on PUBACK with the bytes on the batch topic at QoS 1", async () => {
  const broker = await startTestBroker();
  const transport = mqttTransport.create(config(broker.url), ctx);
  try {
    await transport.start();
    await until(() => transport.connected);
    await transport.send(message([1, 2, 3], "trades"));
    assertEquals(broker.received.length, 1);
    assertEquals(broker.received[0]?.topic, "tributary/v1/edge-1/trades");
    assertEquals(broker.received[0]?.payload, Uint8Array.from([1, 2, 3]));
    assertEquals(broker.received[0]?.qos, 1);
  } finally {
    await transport.stop();
    await broker.close();
  }
});

Deno.test("MqttTransport.send rejects at once with RetryableError while not connected", async () => {
  const broker = await startTestBroker();
  const url = broker.url;
  await broker.close(); // nothing listens there now
  const transport = mqttTransport.create(config(url), ctx);
  try {
    await transport.start();
    const started = performance.now();
    const error = await assertRejects(
      () => transport.send(message([1])),
      RetryableError,
      "not connected",
    );
    assertEquals(error.reason, "disconnected");
    assert(performance.now() - started < 100);
    assertEquals(transport.connected, false);
  } finally {
    await transport.stop();
  }
});

Deno.test("MqttTransport warns once about an unreachable broker; the same error again goes to debug", async () => {
  const broker = await startTestBroker();
  const url = broker.url;
  await broker.close(); // nothing listens there now
  const lines: { level: string; msg: string }[] = [];
  const log = createLogger({ level: "debug", sink: (line) => lines.push(JSON.parse(line)) });
  const transport = mqttTransport.create(config(url), { agent: "edge-1", log });
  try {
    await transport.start();
    const errors = () => lines.filter((l) => l.msg === "mqtt error");
    await until(() => errors().length >= 4); // Reconnect attempts 20-50 ms apart.
    assertEquals(errors().map((l) => l.level), ["warn", ...errors().slice(1).map(() => "debug")]);
  } finally {
    await transport.stop();
  }
});

Deno.test("MqttTransport rejects sends awaiting PUBACK when the connection drops, then reconnects", async () => {
  const silent = await startTestBroker({ ack: false });
  const transport = mqttTransport.create(config(silent.url), ctx);
  try {
    await transport.start();
    await until(() => transport.connected);
    const waiting = transport.send(message([9]));
    const outcome = waiting.then(() => undefined, (e: unknown) => e);
    await until(() => silent.received.length === 1);
    const port = silent.port;
    await silent.close();
    const error = await assertRejects(() => waiting, RetryableError);
    assert((await outcome) instanceof RetryableError);
    assertEquals(error.reason, "disconnected");
    const again = await startTestBroker({ port });
    try {
      await until(() => transport.connected);
      await transport.send(message([7]));
      assertEquals(again.received.map((m) => Array.from(m.payload)), [[7]]);
    } finally {
      await transport.stop();
      await again.close();
    }
  } finally {
    await transport.stop();
  }
});

Deno.test("MqttTransport.send times out with RetryableError when no PUBACK comes", async () => {
  const silent = await startTestBroker({ ack: false });
  const transport = mqttTransport.create(config(silent.url, { send_timeout_ms: 150 }), ctx);
  try {
    await transport.start();
    await until(() => transport.connected);
    const error = await assertRejects(
      () => transport.send(message([1])),
      RetryableError,
      "no PUBACK",
    );
    assertEquals(error.reason, "timeout");
  } finally {
    await transport.stop();
    await silent.close();
  }
});

Deno.test("MqttTransport.send refuses a message above max_message_bytes as permanent", async () => {
  const transport = mqttTransport.create(
    config("mqtt://127.0.0.1:1", { max_message_bytes: 64 }),
    ctx,
  );
  const error = await assertRejects(
    () => transport.send(message(new Array(65).fill(0))),
    PermanentError,
    "exceeds",
  );
  assertEquals(error.reason, "too_large");
  await transport.stop();
});

Deno.test("MqttTransport authenticates with username and password", async () => {
  const broker = await startTestBroker({ credentials: { username: "agent", password: "s3cret" } });
  const wrong = mqttTransport.create(
    config(broker.url, { username: "agent", password: "nope" }),
    ctx,
  );
  const right = mqttTransport.create(
    config(broker.url, { username: "agent", password: "s3cret" }),
    ctx,
  );
  try {
    await right.start();
    await wrong.start();
    await until(() => right.connected);
    await right.send(message([5]));
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(wrong.connected, false);
  } finally {
    await wrong.stop();
    await right.stop();
    await broker.close();
  }
});

Deno.test("MqttTransport.stop is idempotent, safe before start, and refuses later sends", async () => {
  const transport = mqttTransport.create(defaultMqttConfig(), ctx);
  await transport.stop();
  await transport.stop();
  await transport.start();
  assertEquals(transport.connected, false);
  const error = await assertRejects(() => transport.send(message([1])), RetryableError);
  assertEquals(error.reason, "stopped");
});

Deno.test("MqttTransport.start reports an unreadable TLS file as a ConfigError", () => {
  const transport = mqttTransport.create(
    config("mqtts://127.0.0.1:8883", { tls_ca: "/nonexistent/ca.pem" }),
    ctx,
  );
  assertThrows(() => transport.start(), ConfigError, "transport.mqtt.tls_ca");
});
