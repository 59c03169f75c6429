import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { RetryableError } from "@tributary/shared/errors";
import { batchTopic } from "@tributary/shared/topics";
import { encodeBatch } from "@tributary/shared/wire";
import type { Batch } from "@tributary/shared/records";
import { createHubMetrics } from "../../metrics.ts";
import { HotStore } from "../../store/hot_store.ts";
import { makeBatch, seqRange } from "../../testing/batches.ts";
import { BatchHandler, type BatchSink } from "../batch_handler.ts";
import { defaultMqttConfig, mqttConsumerFactory } from "./mod.ts";
import { eventually, failingSink, publish, quietLog as log, withRig } from "./test_rig.ts";

function wire(batch: Batch): Uint8Array {
  return encodeBatch(batch);
}

Deno.test("MqttConsumer stores a batch published to the embedded broker, and a re-send once", async () => {
  await withRig(async (rig) => {
    await rig.startConsumer();
    const batch = makeBatch("readings", { seqs: seqRange(1n, 500n), agent: "edge-1" });
    await publish(rig.agent, batchTopic("edge-1", "readings"), wire(batch));
    await eventually(
      async () => (await rig.count("SELECT count(*) FROM readings")) === 500n,
      "500 rows",
    );
    await publish(rig.agent, batchTopic("edge-1", "readings"), wire(batch));
    await eventually(
      async () => (await rig.metrics.registry.metrics()).includes('outcome="duplicate"} 1'),
      "the duplicate to be counted",
    );
    assertEquals(await rig.count("SELECT count(*) FROM readings"), 500n);
    const page = await rig.metrics.registry.metrics();
    assert(page.includes('tributary_hub_rows_total{kind="readings"} 500'), page);
    assert(page.includes('tributary_hub_duplicate_rows_total{kind="readings"} 500'), page);
  });
});

Deno.test("MqttConsumer quarantines garbage, mismatched and unknown topics and keeps going", async () => {
  await withRig(async (rig) => {
    await rig.startConsumer();
    const good = wire(makeBatch("logs", { seqs: seqRange(1n, 3n), agent: "edge-2" }));
    await publish(rig.agent, batchTopic("edge-2", "logs"), new Uint8Array([1, 2, 3, 4, 5]));
    await publish(rig.agent, batchTopic("edge-3", "logs"), good); // envelope says edge-2
    await publish(rig.agent, "tributary/v1/edge-2/weather", good);
    await publish(rig.agent, "tributary/v1/edge-2/ack", good); // reserved: ignored
    const corrupt = good.slice();
    corrupt[corrupt.length - 1]! ^= 0xff;
    await publish(rig.agent, batchTopic("edge-2", "logs"), corrupt);
    await publish(rig.agent, batchTopic("edge-2", "logs"), good);
    await eventually(
      async () => (await rig.count("SELECT count(*) FROM logs")) === 3n,
      "the good batch",
    );
    const connection = await rig.store.connect();
    try {
      const rows = (await connection.runAndReadAll(
        "SELECT reason, topic, size FROM quarantine ORDER BY received_at",
      )).getRows();
      assertEquals(rows.map((r) => r[1]), [
        "tributary/v1/edge-2/logs",
        "tributary/v1/edge-3/logs",
        "tributary/v1/edge-2/weather",
        "tributary/v1/edge-2/logs",
      ]);
      assertEquals(rows[1]![0], "topic_mismatch");
      assertEquals(rows[2]![0], "bad_topic");
      assertEquals(rows[0]![2], 5n);
    } finally {
      connection.closeSync();
    }
    const page = await rig.metrics.registry.metrics();
    assert(page.includes('tributary_hub_quarantined_total{reason="topic_mismatch"} 1'), page);
    assert(page.includes('tributary_hub_quarantined_total{reason="bad_topic"} 1'), page);
  });
});

Deno.test("MqttConsumer retries a retryable store failure before acknowledging", async () => {
  await withRig(async (rig) => {
    await rig.startConsumer(failingSink(rig.store, 2).sink);
    await publish(
      rig.agent,
      batchTopic("edge-4", "trades"),
      wire(makeBatch("trades", { seqs: [1n], agent: "edge-4" })),
    );
    await eventually(
      async () => (await rig.count("SELECT count(*) FROM trades")) === 1n,
      "the trade",
    );
    assert(
      (await rig.metrics.registry.metrics()).includes(
        'tributary_hub_retries_total{reason="store_failed"} 2',
      ),
    );
  });
});

Deno.test("MqttConsumer leaves a message unacknowledged when stopped mid-retry, and gets it again", async () => {
  await withRig(async (rig) => {
    let attempts = 0;
    const down: BatchSink = {
      ingest: () => {
        attempts++;
        return Promise.reject(new RetryableError("store_failed", "down"));
      },
      quarantine: () => Promise.reject(new RetryableError("store_failed", "down")),
    };
    const first = await rig.startConsumer(down);
    await publish(
      rig.agent,
      batchTopic("edge-5", "quotes"),
      wire(makeBatch("quotes", { seqs: seqRange(1n, 9n), agent: "edge-5" })),
    );
    await eventually(() => Promise.resolve(attempts >= 2), "a few attempts");
    await first.stop();
    // Same client id, persistent session: the broker delivers the unacknowledged message again.
    await rig.startConsumer();
    await eventually(
      async () => (await rig.count("SELECT count(*) FROM quotes")) === 9n,
      "the redelivered batch",
    );
  });
});

Deno.test("MqttConsumer start rejects when no broker answers in time, and stop is idempotent", async () => {
  const metrics = createHubMetrics({ defaultMetrics: false });
  const store = await HotStore.open({ path: ":memory:" });
  try {
    const handler = new BatchHandler({ store, metrics, log });
    // A listener that accepts and never answers: nothing else runs on this port.
    const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const conns: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of silent) conns.push(conn);
    })();
    const consumer = mqttConsumerFactory.create(
      {
        ...defaultMqttConfig(),
        url: `mqtt://127.0.0.1:${silent.addr.port}`,
        connect_timeout_ms: 300,
      },
      { handler, metrics, log },
    );
    await assertRejects(() => consumer.start(), RetryableError, "within 300 ms");
    await consumer.stop();
    silent.close();
    for (const conn of conns) conn.close();
    await accepting;
  } finally {
    await store.close();
  }
});

Deno.test("mqttConsumerFactory validates its section with field names", () => {
  assertEquals(mqttConsumerFactory.type, "mqtt");
  assertEquals(mqttConsumerFactory.validate({}, "mqtt"), defaultMqttConfig());
  let message = "";
  try {
    mqttConsumerFactory.validate({ url: "ftp://x" }, "hub.mqtt");
  } catch (error) {
    message = (error as Error).message;
  }
  assert(message.startsWith('hub.mqtt.url: got "ftp://x"'), message);
});
