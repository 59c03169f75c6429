import { Buffer } from "node:buffer";
import { assert, assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ConfigError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import { parseAck } from "@tributary/shared/ack";
import { encodeBatch } from "@tributary/shared/wire";
import { startKafka } from "../../../tests/harness/kafka.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { createHubMetrics } from "../../metrics.ts";
import { makeBatch, seqRange } from "../../testing/batches.ts";
import type { BatchHandler } from "../batch_handler.ts";
import { defaultKafkaConsumerConfig, KafkaConsumer } from "./mod.ts";
import { openKafkaTestRig } from "./test_rig.ts";

const log = createLogger({ sink: () => {} });

Deno.test("KafkaConsumer refuses an empty broker list", () => {
  assertThrows(
    () =>
      new KafkaConsumer(defaultKafkaConsumerConfig(), {
        handler: undefined as unknown as BatchHandler,
        metrics: createHubMetrics({ defaultMetrics: false }),
        log,
      }),
    ConfigError,
  );
});

Deno.test("KafkaConsumer against a real broker", async (t) => {
  await using kafka = await startKafka({ numPartitions: 2 });
  await using rig = await openKafkaTestRig(kafka.bootstrap);
  const { client, producer, admin, metrics, consumer } = rig;
  const count = async (sql: string) => (await rig.firstRow(sql))[0] as bigint;
  // Read the acks topic like an agent would.
  const acks: { key: string; outcome: string; first: bigint }[] = [];
  const ackReader = client.consumer({ groupId: "test-ack-reader", maxWaitTimeInMs: 50 });
  try {
    await consumer.start();
    await ackReader.connect();
    await ackReader.subscribe({ topic: "tributary.acks", fromBeginning: true });
    await ackReader.run({
      eachMessage: ({ message }) => {
        const ack = parseAck(new Uint8Array(message.value!));
        acks.push({ key: message.key!.toString(), outcome: ack.outcome, first: ack.firstSeq });
        return Promise.resolve();
      },
    });

    await t.step("stores a batch, acks it on <prefix>.acks, and dedups a re-send", async () => {
      const bytes = Buffer.from(
        encodeBatch(makeBatch("readings", { seqs: seqRange(1n, 300n), agent: "edge-1" })),
      );
      const message = { key: "edge-1", value: bytes };
      await producer.send({ topic: "tributary.readings", messages: [message] });
      await waitFor(async () => await count("SELECT count(*) FROM readings") === 300n, {
        timeoutMs: 20_000,
        message: "300 rows",
      });
      await producer.send({ topic: "tributary.readings", messages: [message] });
      await waitFor(() => acks.filter((a) => a.key === "edge-1").length >= 2, {
        timeoutMs: 20_000,
        message: "two acks",
      });
      assertEquals(acks.map((a) => a.outcome).slice(0, 2), ["inserted", "duplicate"]);
      assertEquals(await count("SELECT count(*) FROM readings"), 300n);
    });

    await t.step("quarantines poison records and advances their offsets", async () => {
      const good = Buffer.from(
        encodeBatch(makeBatch("logs", { seqs: seqRange(1n, 5n), agent: "edge-2" })),
      );
      await producer.send({
        topic: "tributary.logs",
        messages: [
          { key: "edge-2", value: Buffer.from([1, 2, 3, 4]) }, // garbage
          { key: null, value: good }, // no agent key
          { key: "edge-9", value: good }, // key differs from the envelope
          { key: "edge-2", value: good },
        ],
      });
      await waitFor(async () => await count("SELECT count(*) FROM logs") === 5n, {
        timeoutMs: 20_000,
        message: "the good batch after the poison ones",
      });
      // The key-less record may sit in another partition: wait for it too.
      await waitFor(
        async () => await count("SELECT count(*) FROM quarantine WHERE source = 'kafka'") === 3n,
        { timeoutMs: 20_000, message: "three records quarantined" },
      );
      await waitFor(async () => {
        const [offsets] = await admin.fetchOffsets({
          groupId: "tributary-hub",
          topics: ["tributary.logs"],
        });
        const total = offsets!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
        return total === 4;
      }, { timeoutMs: 10_000, message: "committed offsets past all four records" });
      const page = await metrics.registry.metrics();
      assert(page.includes("tributary_hub_quarantined_total"), page);
    });
  } finally {
    await ackReader.disconnect();
    await consumer.stop();
    await consumer.stop(); // idempotent (the rig stops it a third time)
  }
});
