import { Buffer } from "node:buffer";
import { Kafka as KafkaClient, logLevel } from "kafkajs";
import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { encodeAck } from "@tributary/shared/ack";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import { startKafka } from "../../../tests/harness/kafka.ts";
import { getFreePort } from "../../../tests/harness/free_port.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { BatchRejectedError, type OutgoingBatch } from "../transport.ts";
import { defaultKafkaTransportConfig, KafkaTransport, type KafkaTransportConfig } from "./mod.ts";

const log = createLogger({ sink: () => {} });

function batch(first: bigint, last: bigint, bytes = new Uint8Array([1, 2, 3])): OutgoingBatch {
  return {
    agent: "edge-k",
    stream: "readings",
    firstSeq: first,
    lastSeq: last,
    rowCount: Number(last - first + 1n),
    bytes,
  };
}

function transport(overrides: Partial<KafkaTransportConfig>): KafkaTransport {
  return new KafkaTransport({ ...defaultKafkaTransportConfig(), ...overrides }, {
    agent: "edge-k",
    log,
  });
}

Deno.test("KafkaTransport refuses sends while no broker is reachable, and oversized ones for good", async () => {
  const t = transport({
    brokers: [`127.0.0.1:${getFreePort()}`],
    reconnect_initial_ms: 50,
    reconnect_max_ms: 100,
  });
  await t.start();
  try {
    assertEquals(t.connected, false);
    await assertRejects(() => t.send(batch(1n, 3n)), RetryableError);
    const big = batch(1n, 3n, new Uint8Array(2_000_000));
    const error = await assertRejects(() => t.send(big), PermanentError);
    assertEquals(error.reason, "too_large");
  } finally {
    await t.stop();
  }
  await assertRejects(() => t.send(batch(1n, 3n)), RetryableError); // stopped
});

Deno.test("KafkaTransport warns once about an unreachable broker; the same failure again goes to debug", async () => {
  const lines: { level: string; msg: string }[] = [];
  const t = new KafkaTransport({
    ...defaultKafkaTransportConfig(),
    brokers: [`127.0.0.1:${getFreePort()}`],
    reconnect_initial_ms: 20,
    reconnect_max_ms: 50,
  }, {
    agent: "edge-k",
    log: createLogger({ level: "debug", sink: (line) => lines.push(JSON.parse(line)) }),
  });
  await t.start();
  try {
    const failed = () => lines.filter((l) => l.msg === "kafka connect failed; retrying");
    await waitFor(() => failed().length >= 3, { timeoutMs: 30_000 });
    assertEquals(failed().map((l) => l.level), ["warn", ...failed().slice(1).map(() => "debug")]);
  } finally {
    await t.stop();
  }
});

Deno.test("KafkaTransport against a real broker", async (s) => {
  await using kafka = await startKafka({ numPartitions: 3 });
  const client = new KafkaClient({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
  // The hub creates the topics in production (create_topics); here the test does.
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: ["tributary.readings", "tributary.acks"].map((topic) => ({ topic, numPartitions: 3 })),
  });
  await admin.disconnect();
  const hubProducer = client.producer();
  await hubProducer.connect();
  const reader = client.consumer({ groupId: "test-reader", maxWaitTimeInMs: 50 });
  const seen: { topic: string; key: string; partition: number; value: number[] }[] = [];
  await reader.connect();
  await reader.subscribe({ topic: "tributary.readings", fromBeginning: true });
  await reader.run({
    eachMessage: ({ topic, partition, message }) => {
      seen.push({
        topic,
        partition,
        key: message.key!.toString(),
        value: [...message.value!],
      });
      return Promise.resolve();
    },
  });
  const ack = (first: bigint, last: bigint, outcome: "inserted" | "rejected", agent = "edge-k") =>
    hubProducer.send({
      topic: "tributary.acks",
      messages: [{
        key: agent,
        value: Buffer.from(encodeAck({
          stream: "readings",
          firstSeq: first,
          lastSeq: last,
          outcome,
          ...(outcome === "rejected" ? { reason: "schema_mismatch" } : {}),
        })),
      }],
    });
  try {
    await s.step("broker mode: resolves on acks=all, key = agent id, one partition", async () => {
      const t = transport({ brokers: [kafka.bootstrap], ack: "broker" });
      await t.start();
      try {
        await waitFor(() => t.connected, { timeoutMs: 20_000, message: "connected" });
        for (let i = 0n; i < 5n; i++) await t.send(batch(i * 10n + 1n, i * 10n + 10n));
        await waitFor(() => seen.length === 5, { timeoutMs: 20_000, message: "5 records" });
        assert(seen.every((r) => r.key === "edge-k"));
        assertEquals(new Set(seen.map((r) => r.partition)).size, 1);
        assertEquals(seen[0]!.value, [1, 2, 3]);
      } finally {
        await t.stop();
      }
    });

    await s.step(
      "hub mode: settles on the hub's ack, skips other agents' acks, rejects on a rejection",
      async () => {
        const t = transport({ brokers: [kafka.bootstrap], ack_timeout_ms: 20_000 });
        await t.start();
        try {
          await waitFor(() => t.connected, { timeoutMs: 30_000, message: "ack consumer ready" });
          let settled = false;
          const sent = t.send(batch(100n, 110n)).then(() => (settled = true));
          await ack(100n, 110n, "inserted", "someone-else");
          await new Promise((r) => setTimeout(r, 500));
          assertEquals(settled, false, "another agent's ack must not settle it");
          await ack(100n, 110n, "inserted");
          await sent;
          // Handler attached before the ack can arrive (no unhandled rejection).
          const rejected = assertRejects(() => t.send(batch(111n, 120n)), BatchRejectedError);
          await ack(111n, 120n, "rejected");
          const error = await rejected;
          assertEquals(error.reason, "schema_mismatch");
          assertEquals(t.ackCounters().matched, 2);
        } finally {
          await t.stop();
        }
      },
    );

    await s.step("hub mode: no ack in time fails retryably", async () => {
      const t = transport({ brokers: [kafka.bootstrap], ack_timeout_ms: 300 });
      await t.start();
      try {
        await waitFor(() => t.connected, { timeoutMs: 30_000, message: "ack consumer ready" });
        const error = await assertRejects(() => t.send(batch(200n, 201n)), RetryableError);
        assertEquals(error.reason, "ack_timeout");
      } finally {
        await t.stop();
      }
    });
  } finally {
    await reader.disconnect();
    await hubProducer.disconnect();
  }
});
