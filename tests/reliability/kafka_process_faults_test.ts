/**
 * Fault scenarios over Kafka, one run: the hub is SIGKILLed and restarted
 * (twice), then the agent (twice), both mid-stream; finally every batch
 * record is replayed into the topics (kafkajs reads them and produces them
 * again: duplicates at the broker). Offsets not committed before a hub crash
 * are read again, batches not acknowledged before an agent crash are resent,
 * replays are dropped by the hub's dedup: every row is stored exactly once.
 */
import { Kafka as KafkaClient, logLevel } from "kafkajs";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { startKafka } from "../harness/kafka.ts";
import { delay } from "../harness/_timeout.ts";
import { waitFor } from "../harness/wait_for.ts";
import { hubMetrics, storedRows } from "../harness/hub_client.ts";
import {
  accountSimulators,
  assertExactlyOnce,
  hubBatches,
  kafkaScenario,
  runScenario,
  waitDelivered,
} from "./_scenario.ts";

const RATE = 1_500;
const ROWS_PER_KIND = 15_000;
const SEEDS = { sensors: 51, logs: 52, market: 53 };

Deno.test("fault (kafka): hub killed, agent killed, batches replayed: nothing lost or duplicated", async () => {
  await using kafka = await startKafka({ numPartitions: 2 });
  await runScenario(
    "kafka-process-faults",
    kafkaScenario(kafka.bootstrap, {
      partitions: 2,
      // A killed hub's partitions stay with its dead member until this expires.
      sessionTimeoutMs: 6_000,
    }, {
      agentId: "fault-kafka-procs",
      transportExtra: "ack_timeout_ms = 5000",
      seeds: SEEDS,
      rate: RATE,
      limit: ROWS_PER_KIND,
    }),
    async (run) => {
      const storedAt: string[] = [];
      await run.startHub();
      await run.startAgent();
      let last = 0;
      const flowing = async (what: string) => {
        await waitFor(async () => await storedRows(run.hubUrl()) > last + 1_500, {
          timeoutMs: 40_000,
          intervalMs: 100,
          message: `rows flow (${what})`,
        });
        last = await storedRows(run.hubUrl());
      };
      for (let k = 1; k <= 2; k++) {
        await flowing(`before hub kill ${k}`);
        storedAt.push(`hub kill ${k} at ${last}`);
        assertEquals((await run.hub!.kill()).signal, "SIGKILL");
        await run.startHub(`hub-${k + 1}`);
      }
      for (let k = 1; k <= 2; k++) {
        await flowing(`before agent kill ${k}`);
        storedAt.push(`agent kill ${k} at ${last}`);
        assertEquals((await run.agent!.kill()).signal, "SIGKILL");
        await run.startAgent(`agent-${k + 1}`);
      }
      const hubUrl = run.hubUrl();
      await waitDelivered(hubUrl, run.agentUrl(), ROWS_PER_KIND);

      // Duplicates at the broker: replay every batch record once more.
      const replayed = await replayBatchRecords(kafka.bootstrap);
      await waitFor(async () => hubBatches(await hubMetrics(hubUrl), "duplicate") >= replayed, {
        timeoutMs: 30_000,
        intervalMs: 250,
        message: `${replayed} replayed batches deduplicated`,
      });
      assert(replayed > 10, `replayed ${replayed} records`);

      // No settle pause: the replayed batches were all counted as duplicates above.
      const result = await accountSimulators(
        "kafka_process_faults",
        hubUrl,
        SEEDS,
        ROWS_PER_KIND,
        0,
      );
      console.log(`  ${storedAt.join("; ")}; replayed ${replayed} batch records`);
      assertExactlyOnce(result);
    },
  );
});

/** Reads every batch record from the start and produces it again; returns how many. */
async function replayBatchRecords(bootstrap: string): Promise<number> {
  const client = new KafkaClient({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = client.admin();
  const producer = client.producer();
  const consumer = client.consumer({
    groupId: `replay-${crypto.randomUUID()}`,
    maxWaitTimeInMs: 50,
  });
  try {
    await admin.connect();
    const topics = KINDS.map((kind) => `tributary.${kind}`);
    let total = 0;
    const ends = new Map<string, number>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        ends.set(`${topic}/${p.partition}`, Number(p.high));
        total += Number(p.high) - Number(p.low);
      }
    }
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    let copied = 0;
    const done = new Promise<void>((resolve) => {
      consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          if (Number(message.offset) >= ends.get(`${topic}/${partition}`)!) return;
          await producer.send({ topic, messages: [{ key: message.key, value: message.value }] });
          if (++copied === total) resolve();
        },
      });
    });
    await waitFor(
      async () => (await Promise.race([done.then(() => true), delay(100).then(() => false)])),
      {
        timeoutMs: 30_000,
        message: `replay of ${total} records`,
      },
    );
    return copied;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }
}
