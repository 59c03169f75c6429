/**
 * Fault scenarios over Kafka, one run: the hub is SIGKILLed and restarted
 * (twice), then the agent (twice), both mid-stream; finally every batch
 * record is replayed into the topics (kafkajs reads them and produces them
 * again: duplicates at the broker). Offsets not committed before a hub crash
 * are read again, batches not acknowledged before an agent crash are resent,
 * replays are dropped by the hub's dedup: every row is stored exactly once.
 */
import { join } from "node:path";
import { Kafka as KafkaClient, logLevel } from "kafkajs";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { startKafka } from "../harness/kafka.ts";
import type { DenoProcess } from "../harness/process.ts";
import { delay } from "../harness/_timeout.ts";
import { waitFor } from "../harness/wait_for.ts";
import { hubMetrics, metricValue, storedRows, tableCounts } from "../integration/hub_client.ts";
import { expectedRows } from "../integration/expected_rows.ts";
import {
  simulatorInputs,
  writeKafkaAgentConfig,
  writeKafkaHubConfig,
} from "../integration/kafka_configs.ts";
import {
  accountRows,
  agentStatus,
  assertExactlyOnce,
  simulatorTables,
  startProduct,
  stopQuietly,
  totalBacklog,
  withScenarioDir,
} from "./_scenario.ts";

const RATE = 1_500;
const ROWS_PER_KIND = 15_000;
const SEEDS = { sensors: 51, logs: 52, market: 53 };

Deno.test("fault (kafka): hub killed, agent killed, batches replayed: nothing lost or duplicated", async () => {
  await withScenarioDir("kafka-process-faults", async (dir) => {
    await using kafka = await startKafka({ numPartitions: 2 });
    const hubConfig = await writeKafkaHubConfig(dir, "hub", {
      dataDir: join(dir, "hub"),
      bootstrap: kafka.bootstrap,
      partitions: 2,
      // A killed hub's partitions stay with its dead member until this expires.
      sessionTimeoutMs: 6_000,
    });
    const agentConfig = await writeKafkaAgentConfig(dir, "agent", {
      agentId: "fault-kafka-procs",
      dataDir: join(dir, "agent"),
      bootstrap: kafka.bootstrap,
      transportExtra: "ack_timeout_ms = 5000",
      inputs: simulatorInputs(SEEDS, ROWS_PER_KIND, RATE),
    });
    let hub: DenoProcess | undefined;
    let agent: DenoProcess | undefined;
    let hubExit: number | undefined;
    let agentExit: number | undefined;
    const storedAt: string[] = [];
    try {
      hub = await startProduct(dir, "hub", "hub/main.ts", hubConfig);
      agent = await startProduct(dir, "agent", "agent/main.ts", agentConfig);
      const stored = () => storedRows(String(hub!.ready.http));
      let last = 0;
      const flowing = async (what: string) => {
        await waitFor(async () => await stored() > last + 1_500, {
          timeoutMs: 40_000,
          intervalMs: 100,
          message: `rows flow (${what})`,
        });
        last = await stored();
      };
      for (let k = 1; k <= 2; k++) {
        await flowing(`before hub kill ${k}`);
        storedAt.push(`hub kill ${k} at ${last}`);
        assertEquals((await hub.kill()).signal, "SIGKILL");
        hub = await startProduct(dir, `hub-${k + 1}`, "hub/main.ts", hubConfig);
      }
      for (let k = 1; k <= 2; k++) {
        await flowing(`before agent kill ${k}`);
        storedAt.push(`agent kill ${k} at ${last}`);
        assertEquals((await agent.kill()).signal, "SIGKILL");
        agent = await startProduct(dir, `agent-${k + 1}`, "agent/main.ts", agentConfig);
      }
      const hubUrl = String(hub.ready.http);
      await waitFor(async () => {
        const counts = await tableCounts(hubUrl);
        return KINDS.every((k) => counts[k] >= ROWS_PER_KIND);
      }, { timeoutMs: 60_000, intervalMs: 250, message: "all rows at the hub" });
      await waitFor(async () => totalBacklog(await agentStatus(String(agent!.ready.http))) === 0, {
        timeoutMs: 30_000,
        intervalMs: 250,
        message: "agent backlog drained",
      });

      // Duplicates at the broker: replay every batch record once more.
      const replayed = await replayBatchRecords(kafka.bootstrap);
      await waitFor(async () => {
        const page = await hubMetrics(hubUrl);
        const duplicates = KINDS.reduce(
          (sum, kind) =>
            sum +
            metricValue(page, `tributary_hub_batches_total{kind="${kind}",outcome="duplicate"}`),
          0,
        );
        return duplicates >= replayed;
      }, {
        timeoutMs: 30_000,
        intervalMs: 250,
        message: `${replayed} replayed batches deduplicated`,
      });
      assert(replayed > 10, `replayed ${replayed} records`);

      const result = await accountRows(
        "kafka_process_faults",
        hubUrl,
        simulatorTables(expectedRows(SEEDS, ROWS_PER_KIND)),
      );
      console.log(`  ${storedAt.join("; ")}; replayed ${replayed} batch records`);
      assertExactlyOnce(result);
    } finally {
      agentExit = await stopQuietly(agent);
      hubExit = await stopQuietly(hub);
    }
    assertEquals(agentExit, 0, "agent exit code");
    assertEquals(hubExit, 0, "hub exit code");
  });
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
