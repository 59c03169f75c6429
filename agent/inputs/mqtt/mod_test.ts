import { Buffer } from "node:buffer";
import mqtt from "mqtt";
import { RetryableError } from "@tributary/shared/errors";
import { nowNs } from "@tributary/shared/records";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { getFreePort } from "../../../tests/harness/free_port.ts";
import { type Mosquitto, startMosquitto } from "../../../tests/harness/mosquitto.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { AgentBuffer } from "../../buffer/mod.ts";
import type { InputContext } from "../input.ts";
import { type BadInputAdapter, runBadInputSuite, utf8 } from "../testing/bad_input_suite.ts";
import { bufferContext } from "../testing/buffer_context.ts";
import { recordingContext } from "../testing/context.ts";
import { defaultClientId, type MqttInput, mqttInput } from "./mod.ts";

/** Publishes with the real Mosquitto client, QoS 1. */
async function mosquittoPub(broker: Mosquitto, topic: string, message: string): Promise<void> {
  const out = await new Deno.Command("mosquitto_pub", {
    args: ["-h", "127.0.0.1", "-p", String(broker.port), "-q", "1", "-t", topic, "-m", message],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
}

async function startInput(
  broker: Mosquitto,
  options: Record<string, unknown>,
  ctx: InputContext,
): Promise<MqttInput> {
  const config = mqttInput.validate({ url: broker.url, reconnect_ms: 100, ...options }, "in");
  const input = mqttInput.create(config, ctx);
  await input.start();
  await waitFor(() => input.ready.then(() => true), { message: "mqtt input subscribed" });
  return input;
}

Deno.test("defaultClientId is stable and broker-safe", () => {
  assertEquals(defaultClientId("edge-1", "mqtt#0"), "tributary-edge-1-mqtt_0");
});

Deno.test("mqtt input maps mosquitto_pub messages by topic into a real buffer", async () => {
  await using broker = await startMosquitto();
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  const ctx = bufferContext(buffer, "mqtt#0");
  const input = await startInput(broker, {
    topics: ["plant/+/+/#"],
    topic_levels: "_/tag:site/sensor/metric",
    client_id: "t-map",
  }, ctx);
  try {
    await mosquittoPub(broker, "plant/p1/t-7/temperature", '{"value": 21.5, "unit": "degC"}');
    await mosquittoPub(broker, "plant/p1/dev-2/env", '{"temperature": 20, "humidity": 41}');
    await mosquittoPub(broker, "plant/p1/dev-3/x", "{broken");
    await waitFor(() => input.handled() === 3, { message: "3 messages handled" });
    const result = await buffer.query(
      "SELECT sensor, metric, value, unit, tags FROM buffer_readings ORDER BY seq",
    );
    assertEquals(result.rows, [
      ["t-7", "temperature", 21.5, "degC", '{"site":"p1"}'],
      ["dev-2", "temperature", 20, "", '{"site":"p1"}'],
      ["dev-2", "humidity", 41, "", '{"site":"p1"}'],
    ]);
    assertEquals(Object.fromEntries(ctx.rejections), { bad_record: 1 });
  } finally {
    await input.stop();
    await buffer.close();
  }
});

Deno.test("mqtt input reads line protocol and bare value payloads", async () => {
  await using broker = await startMosquitto();
  const lp = recordingContext({ id: "lp" });
  const value = recordingContext({ id: "value" });
  const lpInput = await startInput(broker, {
    topics: ["lp/#"],
    format: "line_protocol",
    topic_levels: "_/tag:device",
    client_id: "t-lp",
  }, lp);
  const valueInput = await startInput(broker, {
    topics: ["v/#"],
    format: "value",
    topic_levels: "_/sensor/metric",
    client_id: "t-value",
  }, value);
  try {
    await mosquittoPub(broker, "lp/d1", `env,room=a t=1,h=2\nbad\nenv,room=b t=3 ${nowNs()}`);
    await mosquittoPub(broker, "v/s1/temp", "21.25");
    await mosquittoPub(broker, "v/s1/temp", "warm");
    await mosquittoPub(broker, "v/s1", "1");
    await waitFor(() => lpInput.handled() === 1 && valueInput.handled() === 3);
    assertEquals(lp.rows.readings.map((r) => [r.sensor, r.metric, r.value, r.tags]), [
      ["env,room=a", "t", 1, '{"device":"d1","room":"a"}'],
      ["env,room=a", "h", 2, '{"device":"d1","room":"a"}'],
      ["env,room=b", "t", 3, '{"device":"d1","room":"b"}'],
    ]);
    assertEquals(Object.fromEntries(lp.rejections), { bad_line: 1 });
    assertEquals(value.rows.readings.map((r) => [r.sensor, r.metric, r.value]), [
      ["s1", "temp", 21.25],
    ]);
    assertEquals(Object.fromEntries(value.rejections), { bad_value: 1, unmapped_topic: 1 });
  } finally {
    await lpInput.stop();
    await valueInput.stop();
  }
});

Deno.test("mqtt input gets messages published while it was down (persistent session)", async () => {
  await using broker = await startMosquitto();
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  const options = { topics: ["sensors/#"], client_id: "t-persist" };
  try {
    const first = await startInput(broker, options, bufferContext(buffer));
    await mosquittoPub(broker, "sensors/s1/temp", '{"value": 1}');
    await waitFor(() => first.handled() === 1);
    await first.stop();
    // The agent is down: the broker queues these for the session.
    for (let i = 2; i <= 6; i++) await mosquittoPub(broker, "sensors/s1/temp", `{"value": ${i}}`);
    const second = await startInput(broker, options, bufferContext(buffer));
    try {
      await waitFor(() => second.handled() === 5, { message: "queued messages delivered" });
      const result = await buffer.query("SELECT value FROM buffer_readings ORDER BY seq");
      assertEquals(result.rows.map((r) => r[0]), [1, 2, 3, 4, 5, 6]);
    } finally {
      await second.stop();
    }
  } finally {
    await buffer.close();
  }
});

Deno.test("mqtt input sends no PUBACK until the rows are committed", async () => {
  await using broker = await startMosquitto();
  const options = { topics: ["sensors/#"], client_id: "t-ack" };
  // The buffer refuses (full, policy block): the message must stay unacknowledged.
  const refusing = recordingContext();
  refusing.failWrites = new RetryableError("budget_full", "buffer full");
  const writes = { n: 0 };
  const original = refusing.write;
  refusing.write = (kind, rows, cp) => {
    writes.n++;
    return original(kind, rows, cp);
  };
  const first = await startInput(broker, options, refusing);
  await mosquittoPub(broker, "sensors/s1/temp", '{"value": 7}');
  await waitFor(() => writes.n >= 1, { message: "write attempted" });
  assertEquals(refusing.rows.readings.length, 0);
  assertEquals(first.handled(), 0);
  await first.stop();
  // A new run with a working buffer gets the same message again from the broker.
  const ctx = recordingContext();
  const second = await startInput(broker, options, ctx);
  try {
    await waitFor(() => ctx.rows.readings.length === 1, { message: "message redelivered" });
    assertEquals(ctx.rows.readings[0]?.value, 7);
  } finally {
    await second.stop();
  }
});

Deno.test("mqtt input passes the bad-input suite", async (t) => {
  await using broker = await startMosquitto();
  const ctx = recordingContext();
  const input = await startInput(broker, {
    topics: ["suite/#"],
    client_id: "t-suite",
    json_precision: "ns",
    max_payload_bytes: 4096,
  }, ctx);
  const publisher = await mqtt.connectAsync(broker.url, { clientId: "t-suite-pub" });
  const adapter: BadInputAdapter = {
    goodRecord: (marker, ts) =>
      utf8(JSON.stringify({ sensor: `s${marker}`, metric: "m", value: marker, ts: `${ts}` })),
    async deliver(records) {
      for (const r of records) await publisher.publishAsync("suite/x", Buffer.from(r), { qos: 1 });
    },
    writtenMarkers: () => ctx.rows.readings.map((r) => r.value),
    rejections: () => ctx.rejections,
    malformedRecords: [
      utf8('{"sensor": "s", "value": }'),
      utf8('{"sensor": 5, "metric": "m", "value": 1}'),
      utf8('{"sensor": "s", "metric": "m", "value": "NaN"}'),
      utf8("[1, 2]"),
    ],
    maxRecordBytes: 4096,
    skew: { maxFutureS: 300, maxPastS: 604_800 },
    reasons: {
      "malformed records": "bad_record",
      "huge record": "too_large",
      "invalid UTF-8": "bad_encoding",
      "UTF-16 text": "bad_encoding",
      "binary junk": "bad_encoding",
    },
  };
  try {
    await runBadInputSuite(t, adapter);
  } finally {
    await publisher.endAsync();
    await input.stop();
  }
});

Deno.test("mqtt input starts and stops while its broker is down", async () => {
  // A port nobody listens on: the agent must start anyway and stop promptly.
  const url = `mqtt://127.0.0.1:${getFreePort()}`;
  const input = mqttInput.create(
    mqttInput.validate({ url, reconnect_ms: 50 }, "in"),
    recordingContext(),
  );
  await input.start();
  await new Promise((r) => setTimeout(r, 200));
  const started = performance.now();
  await input.stop();
  assert(performance.now() - started < 2000);
  await input.ready; // resolved by stop(): nobody waits forever
});

Deno.test("mqtt input follows a change of topics across a persistent session", async () => {
  await using broker = await startMosquitto();
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  try {
    const first = await startInput(
      broker,
      { topics: ["old/#"], client_id: "t-topics" },
      bufferContext(buffer),
    );
    await first.stop();
    const ctx = bufferContext(buffer);
    const second = await startInput(broker, { topics: ["new/#"], client_id: "t-topics" }, ctx);
    try {
      await mosquittoPub(broker, "old/s1/temp", '{"value": 1}');
      await mosquittoPub(broker, "new/s2/temp", '{"value": 2}');
      await waitFor(() => second.handled() >= 1, { message: "new topic delivered" });
      // Published before the new topic's message: had the old filter stayed in
      // the session, it would have been handled first.
      await new Promise((r) => setTimeout(r, 200));
      const result = await buffer.query("SELECT sensor, value FROM buffer_readings ORDER BY seq");
      assertEquals(result.rows, [["s2", 2]]);
      assertEquals(await ctx.readCheckpoint("subscription"), '{"topics":["new/#"],"qos":1}');
    } finally {
      await second.stop();
    }
  } finally {
    await buffer.close();
  }
});

Deno.test("mqtt input subscribes again when qos is raised across a persistent session", async () => {
  await using broker = await startMosquitto();
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  const options = { topics: ["sensors/#"], client_id: "t-qos" };
  try {
    // A first run at QoS 0 makes the session with a QoS 0 subscription.
    await (await startInput(broker, { ...options, qos: 0 }, bufferContext(buffer))).stop();
    // Raised to 1: had the input kept the session's QoS 0 subscription, the
    // broker would not queue what is published while the agent is down.
    await (await startInput(broker, { ...options, qos: 1 }, bufferContext(buffer))).stop();
    await mosquittoPub(broker, "sensors/s1/temp", '{"value": 42}');
    const ctx = bufferContext(buffer);
    const third = await startInput(broker, { ...options, qos: 1 }, ctx);
    try {
      await waitFor(() => third.handled() === 1, { message: "message queued while down" });
      const result = await buffer.query("SELECT value FROM buffer_readings");
      assertEquals(result.rows, [[42]]);
      assertEquals(await ctx.readCheckpoint("subscription"), '{"topics":["sensors/#"],"qos":1}');
    } finally {
      await third.stop();
    }
  } finally {
    await buffer.close();
  }
});
