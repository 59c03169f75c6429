/**
 * What the Kafka consumer's tests share: kafkajs producer and admin clients
 * on a real broker, an in-memory HotStore behind a BatchHandler, and a
 * KafkaConsumer on two partitions with fast retries. `await using` stops
 * them all.
 *
 * @module
 */
import { type Admin, Kafka as KafkaClient, logLevel, type Producer } from "kafkajs";
import { createLogger } from "@tributary/shared/log";
import { createHubMetrics, type HubMetrics } from "../../metrics.ts";
import { HotStore } from "../../store/hot_store.ts";
import { BatchHandler } from "../batch_handler.ts";
import { defaultKafkaConsumerConfig, KafkaConsumer } from "./mod.ts";

/** The parts of {@linkcode openKafkaTestRig}. */
export interface KafkaTestRig extends AsyncDisposable {
  client: KafkaClient;
  producer: Producer;
  admin: Admin;
  store: HotStore;
  metrics: HubMetrics;
  consumer: KafkaConsumer;
  /** The first row of `sql` on the store. */
  firstRow(sql: string): Promise<unknown[]>;
}

/** Connects the clients and builds the consumer (not started) for the broker at `bootstrap`. */
export async function openKafkaTestRig(bootstrap: string): Promise<KafkaTestRig> {
  const log = createLogger({ sink: () => {} });
  const client = new KafkaClient({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = client.producer();
  await producer.connect();
  const admin = client.admin();
  await admin.connect();
  const store = await HotStore.open({ path: ":memory:" });
  const metrics = createHubMetrics({ defaultMetrics: false });
  const handler = new BatchHandler({ store, metrics, log, limits: { maxMessageBytes: 1 << 20 } });
  const consumer = new KafkaConsumer(
    {
      ...defaultKafkaConsumerConfig(),
      brokers: [bootstrap],
      partitions: 2,
      session_timeout_ms: 6_000,
    },
    { handler, metrics, log },
    { retryInitialDelayMs: 5, retryMaxDelayMs: 20 },
  );
  return {
    client,
    producer,
    admin,
    store,
    metrics,
    consumer,
    async firstRow(sql) {
      const connection = await store.connect();
      try {
        return (await connection.runAndReadAll(sql)).getRows()[0]!;
      } finally {
        connection.closeSync();
      }
    },
    async [Symbol.asyncDispose]() {
      await consumer.stop();
      await producer.disconnect();
      await admin.disconnect();
      await store.close();
    },
  };
}
