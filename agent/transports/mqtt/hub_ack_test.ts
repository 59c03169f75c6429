import { Buffer } from "node:buffer";
import mqtt, { type MqttClient } from "mqtt";
import { encodeAck, type HubAck } from "@tributary/shared/ack";
import { RetryableError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import { ackTopic, parseBatchTopic } from "@tributary/shared/topics";
import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { BatchRejectedError, type OutgoingBatch, type Transport } from "../transport.ts";
import { defaultMqttConfig, type MqttConfig, type MqttTransport, mqttTransport } from "./mod.ts";
import { startTestBroker, type TestBroker, until } from "./test_broker.ts";

const ctx = { agent: "edge-1", log: createLogger({ sink: () => {} }) };

function batch(firstSeq: bigint, lastSeq: bigint): OutgoingBatch {
  return {
    agent: "edge-1",
    stream: "readings",
    firstSeq,
    lastSeq,
    rowCount: Number(lastSeq - firstSeq + 1n),
    bytes: Uint8Array.from([1, 2, 3]),
  };
}

const ack = (firstSeq: bigint, lastSeq: bigint, extra: Partial<HubAck> = {}): HubAck => ({
  stream: "readings",
  firstSeq,
  lastSeq,
  outcome: "inserted",
  ...extra,
});

/** A stand-in hub: a second client that sees batches and publishes acks when told. */
interface FakeHub {
  client: MqttClient;
  /** Batch topics received, in order. */
  batches: string[];
  sendAck(a: HubAck | Uint8Array, agent?: string): Promise<void>;
}

async function withRig(
  fn: (rig: { broker: TestBroker; hub: FakeHub; transport: MqttTransport }) => Promise<void>,
  extra: Partial<MqttConfig> = {},
): Promise<void> {
  const broker = await startTestBroker();
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  const batches: string[] = [];
  client.on("message", (topic) => {
    if (parseBatchTopic(topic)) batches.push(topic);
  });
  await client.subscribeAsync("tributary/v1/+/+", { qos: 1 });
  const hub: FakeHub = {
    client,
    batches,
    sendAck: async (a, agent = "edge-1") => {
      const payload = a instanceof Uint8Array ? a : encodeAck(a);
      await client.publishAsync(ackTopic(agent), Buffer.from(payload), { qos: 1 });
    },
  };
  const transport = mqttTransport.create(
    {
      ...defaultMqttConfig(),
      url: broker.url,
      reconnect_initial_ms: 20,
      reconnect_max_ms: 50,
      ...extra,
    },
    ctx,
  ) as MqttTransport;
  try {
    await transport.start();
    await until(() => transport.connected);
    await fn({ broker, hub, transport });
  } finally {
    await transport.stop();
    await client.endAsync();
    await broker.close();
    await new Promise((r) => setTimeout(r, 5)); // MQTT.js store close timer
  }
}

/** Whether `p` has settled after a short wait, and how. */
async function state(p: Promise<unknown>): Promise<"pending" | "resolved" | "rejected"> {
  let s: "pending" | "resolved" | "rejected" = "pending";
  p.then(() => s = "resolved", () => s = "rejected");
  await new Promise((r) => setTimeout(r, 50));
  return s;
}

Deno.test("hub ack mode is the default", () => {
  assertEquals(defaultMqttConfig().ack, "hub");
  assertEquals(defaultMqttConfig().ack_timeout_ms, 30_000);
});

Deno.test("MqttTransport (ack = hub) resolves only when the matching hub ack arrives", async () => {
  await withRig(async ({ hub, transport }) => {
    const sent = transport.send(batch(1n, 500n));
    await until(() => hub.batches.length === 1);
    assertEquals(await state(sent), "pending"); // the PUBACK came, the hub has not acked
    await hub.sendAck(ack(1n, 499n)); // other bounds: not this batch
    await hub.sendAck(ack(1n, 500n, { stream: "logs" })); // other stream
    assertEquals(await state(sent), "pending");
    await hub.sendAck(ack(1n, 500n, { outcome: "partial" }));
    await sent;
    assertEquals(transport.ackCounters(), { matched: 1, unknown: 2, invalid: 0 });
  });
});

Deno.test("MqttTransport (ack = hub) matches out-of-order acks and ignores late and repeated ones", async () => {
  await withRig(async ({ hub, transport }) => {
    const a = transport.send(batch(1n, 10n));
    const b = transport.send(batch(11n, 20n));
    await until(() => hub.batches.length === 2);
    await hub.sendAck(ack(11n, 20n, { outcome: "duplicate" }));
    await b;
    assertEquals(await state(a), "pending");
    await hub.sendAck(ack(1n, 10n));
    await a;
    await hub.sendAck(ack(1n, 10n)); // twice
    await hub.sendAck(ack(50n, 60n)); // never sent
    await hub.sendAck(ack(1n, 10n), "edge-2"); // another agent's topic: not subscribed
    await until(() => transport.ackCounters().unknown === 2);
    assertEquals(transport.ackCounters(), { matched: 2, unknown: 2, invalid: 0 });
  });
});

Deno.test("MqttTransport (ack = hub) rejects with BatchRejectedError on a rejected ack", async () => {
  await withRig(async ({ hub, transport }) => {
    const sent = transport.send(batch(1n, 5n));
    await until(() => hub.batches.length === 1);
    await hub.sendAck(ack(1n, 5n, { outcome: "rejected", reason: "schema_mismatch" }));
    const error = await assertRejects(() => sent, BatchRejectedError);
    assertEquals(error.reason, "schema_mismatch");
  });
});

Deno.test("MqttTransport (ack = hub) ignores hostile ack payloads and counts them", async () => {
  await withRig(async ({ hub, transport }) => {
    const sent = transport.send(batch(1n, 5n));
    await until(() => hub.batches.length === 1);
    for (
      const junk of [
        "",
        "null",
        "{",
        '{"v":2,"stream":"readings","first_seq":"1","last_seq":"5","outcome":"inserted"}',
        '{"v":1,"stream":"readings","first_seq":1,"last_seq":5,"outcome":"inserted"}',
        '{"v":1,"stream":"readings","first_seq":"1","last_seq":"5","outcome":"rejected"}',
        "x".repeat(5000),
      ]
    ) await hub.sendAck(new TextEncoder().encode(junk));
    await until(() => transport.ackCounters().invalid === 7);
    assertEquals(await state(sent), "pending");
    await hub.sendAck(ack(1n, 5n));
    await sent;
  });
});

Deno.test("MqttTransport (ack = hub) fails retryably when no hub ack comes in time", async () => {
  await withRig(async ({ hub, transport }) => {
    const started = Date.now();
    const error = await assertRejects(() => transport.send(batch(1n, 5n)), RetryableError);
    assertEquals(error.reason, "ack_timeout");
    assert(Date.now() - started >= 150);
    assertEquals(hub.batches.length, 1);
    // The resend (same bounds) is confirmed by the hub's ack, even a late one for the first try.
    const again = transport.send(batch(1n, 5n));
    await until(() => hub.batches.length === 2);
    await hub.sendAck(ack(1n, 5n, { outcome: "duplicate" }));
    await again;
  }, { ack_timeout_ms: 200 });
});

Deno.test("MqttTransport (ack = hub) rejects sends awaiting an ack when the connection drops", async () => {
  const broker = await startTestBroker();
  const transport: Transport = mqttTransport.create(
    { ...defaultMqttConfig(), url: broker.url, reconnect_initial_ms: 20, reconnect_max_ms: 50 },
    ctx,
  );
  try {
    await transport.start();
    await until(() => transport.connected);
    const sent = transport.send(batch(1n, 5n));
    assertEquals(await state(sent), "pending");
    await broker.close();
    const error = await assertRejects(() => sent, RetryableError);
    assertEquals(error.reason, "disconnected");
    assertEquals(transport.connected, false);
  } finally {
    await transport.stop();
  }
});
