/**
 * The hub's Kafka consumer rebuilds itself after kafkajs gives up on it
 * (CRASH with `restart: false`) and keeps consuming: nothing lost, nothing
 * stored twice, and `tributary_hub_kafka_consumer_rebuilds_total` counts it.
 *
 * How the crash is caused: through the narrow test seam
 * `KafkaConsumer.crashForTest()`, which disconnects the live kafkajs consumer
 * (as kafkajs does before it emits CRASH) and then runs the hub's own CRASH
 * handler with `restart: false`. kafkajs has no public way to emit its
 * events; a real trigger (a broker restart that makes the coordinator forget
 * the member, a deleted group) was not attempted: kafkajs retries most errors
 * and restarts by itself, so such a test would be slow and flaky. Everything
 * else is real: a Kafka broker, kafkajs clients, a DuckDB store.
 */
import { Buffer } from "node:buffer";
import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { encodeBatch } from "@tributary/shared/wire";
import { startKafka } from "../../../tests/harness/kafka.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { makeBatch, seqRange } from "../../testing/batches.ts";
import { openKafkaTestRig } from "./test_rig.ts";

function record(first: bigint, last: bigint) {
  const batch = makeBatch("readings", { seqs: seqRange(first, last), agent: "edge-1" });
  return { key: "edge-1", value: Buffer.from(encodeBatch(batch)) };
}

Deno.test("KafkaConsumer rebuilds after kafkajs gives up and consumes again", async () => {
  await using kafka = await startKafka({ numPartitions: 2 });
  await using rig = await openKafkaTestRig(kafka.bootstrap);
  const { producer, admin, metrics, consumer } = rig;
  const query = rig.firstRow;
  const rows = async () => (await query("SELECT count(*) FROM readings"))[0] as bigint;
  const rebuilds = async () => {
    const page = await metrics.registry.metrics();
    return Number(/^tributary_hub_kafka_consumer_rebuilds_total (\d+)$/m.exec(page)?.[1]);
  };
  try {
    await consumer.start();
    assertEquals(await rebuilds(), 0);
    await producer.send({ topic: "tributary.readings", messages: [record(1n, 100n)] });
    await waitFor(async () => await rows() === 100n, { timeoutMs: 20_000, message: "100 rows" });

    // Records produced while the consumer is down and being rebuilt must
    // arrive after it rejoins (its committed offsets are where it resumes).
    const crashed = consumer.crashForTest(new Error("the coordinator forgot this member"));
    await producer.send({ topic: "tributary.readings", messages: [record(101n, 200n)] });
    await crashed;
    assertEquals(await rebuilds(), 1);

    // New records after the rebuild, plus a re-send of the first batch.
    await producer.send({
      topic: "tributary.readings",
      messages: [record(201n, 300n), record(1n, 100n)],
    });
    await waitFor(async () => await rows() === 300n, {
      timeoutMs: 30_000,
      message: "300 rows after the rebuild",
    });
    // Every record consumed and committed, the re-sent batch included.
    await waitFor(async () => {
      const ends = await admin.fetchTopicOffsets("tributary.readings");
      const [committed] = await admin.fetchOffsets({
        groupId: "tributary-hub",
        topics: ["tributary.readings"],
      });
      return ends.every((end) =>
        end.high === "0" ||
        Number(committed!.partitions.find((p) => p.partition === end.partition)?.offset) >=
          Number(end.high)
      );
    }, { timeoutMs: 20_000, message: "offsets committed past every record" });
    // The re-sent batch (and any record read again after the rebuild) was a duplicate.
    const page = await metrics.registry.metrics();
    assertMatch(page, /tributary_hub_batches_total\{kind="readings",outcome="duplicate"\} [1-9]/);
    // Each range stored exactly once (the hub keeps ranges, not seqs, per row).
    const [ranges] = await query(
      "SELECT string_agg(first_seq || '-' || last_seq || ':' || row_count, ',' " +
        "ORDER BY first_seq) FROM ingested_batches WHERE agent = 'edge-1' AND stream = 'readings'",
    );
    assertEquals(ranges, "1-100:100,101-200:100,201-300:100");
    assertEquals(await rows(), 300n);
    assertMatch(await metrics.registry.metrics(), /tributary_hub_kafka_consumer_rebuilds_total 1/);
  } finally {
    await consumer.stop();
  }
});
