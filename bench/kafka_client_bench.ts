/**
 * Kafka client comparison on the agent's producer path: kafkajs 2.2.4 (what
 * the transport uses) against @platformatic/kafka, same broker, same
 * records: idempotent producer, acks=all, no compression, key = agent id,
 * 16 KiB values (a typical zstd wire batch of ~1000 rows).
 *
 * Two patterns: `sequential` (each send awaited, as the transport does with
 * one request out per stream) and `coalesced` (16 records per request, as the
 * transport does when sends queue up). Prints records/s, MiB/s and p50/p99
 * send latency per client. Not a test; about a minute.
 *
 * Usage: `deno run -A bench/kafka_client_bench.ts [--records N]`
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { ProduceAcks, Producer as PlatformaticProducer } from "@platformatic/kafka";
import { startKafka } from "../tests/harness/kafka.ts";
import { machineSummary } from "./machine.ts";

const VALUE_BYTES = 16 * 1024;
const COALESCE = 16;

/** One client under test: send a group of records, close. */
interface ClientUnderTest {
  send(topic: string, values: Buffer[]): Promise<void>;
  close(): Promise<void>;
}

async function kafkajsClient(bootstrap: string): Promise<ClientUnderTest> {
  const producer = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return {
    send: async (topic, values) => {
      await producer.send({
        topic,
        acks: -1,
        messages: values.map((value) => ({ key: "bench-agent", value })),
      });
    },
    close: () => producer.disconnect(),
  };
}

function platformaticClient(bootstrap: string): Promise<ClientUnderTest> {
  const producer = new PlatformaticProducer({
    clientId: "bench",
    bootstrapBrokers: [bootstrap],
    idempotent: true,
    acks: ProduceAcks.ALL,
  });
  const key = Buffer.from("bench-agent");
  return Promise.resolve({
    send: async (topic, values) => {
      await producer.send({ messages: values.map((value) => ({ topic, key, value })) });
    },
    close: () => producer.close(),
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function measure(
  client: ClientUnderTest,
  topic: string,
  records: number,
  perRequest: number,
): Promise<{ recordsPerS: number; mibPerS: number; p50: number; p99: number }> {
  const value = Buffer.from(crypto.getRandomValues(new Uint8Array(VALUE_BYTES)));
  await client.send(topic, [value]); // warm-up: metadata, producer id
  const latencies: number[] = [];
  const started = performance.now();
  for (let sent = 0; sent < records; sent += perRequest) {
    const t0 = performance.now();
    await client.send(topic, Array.from({ length: perRequest }, () => value));
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    recordsPerS: records / seconds,
    mibPerS: records * VALUE_BYTES / 1024 / 1024 / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
    options: { records: { type: "string", default: "2000" } },
  });
  const records = Number(values.records);
  console.log("# Kafka producer path: kafkajs vs @platformatic/kafka");
  console.log(await machineSummary());
  await using kafka = await startKafka({ numPartitions: 1 });
  const clients: [string, (bootstrap: string) => Promise<ClientUnderTest>][] = [
    ["kafkajs 2.2.4", kafkajsClient],
    ["@platformatic/kafka 2.12.1", platformaticClient],
  ];
  // Topics exist before either client sends (@platformatic/kafka does not
  // auto-create by default, and creation time is not what is measured).
  const topicName = (round: number, name: string, pattern: string) =>
    `bench-${round}-${name.replace(/[^a-z]/g, "")}-${pattern}`;
  const admin = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [1, 2].flatMap((round) =>
      clients.flatMap(([name]) =>
        ["sequential", "coalesced"].map((pattern) => ({
          topic: topicName(round, name, pattern),
          numPartitions: 1,
        }))
      )
    ),
  });
  await admin.disconnect();
  // Interleaved twice so machine drift hits both alike.
  for (const round of [1, 2]) {
    for (const [name, make] of clients) {
      for (const [pattern, perRequest] of [["sequential", 1], ["coalesced", COALESCE]] as const) {
        const client = await make(kafka.bootstrap);
        try {
          const topic = topicName(round, name, pattern);
          const r = await measure(client, topic, records, perRequest);
          console.log(
            `round ${round} ${name.padEnd(28)} ${pattern.padEnd(10)} ` +
              `${Math.round(r.recordsPerS)} records/s, ${r.mibPerS.toFixed(1)} MiB/s, ` +
              `send p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`,
          );
        } finally {
          await client.close();
        }
      }
    }
  }
}
