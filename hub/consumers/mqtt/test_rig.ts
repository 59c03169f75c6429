/**
 * The set-up the MQTT consumer's tests share: a real embedded broker on a
 * free loopback port, an in-memory hot store, metrics, a client that plays
 * the agent (publishes batches, records the hub's acks for {@linkcode RIG_AGENT}),
 * and consumers started against them. Everything is stopped afterwards.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import mqtt, { type MqttClient } from "mqtt";
import { type HubAck, parseAck } from "@tributary/shared/ack";
import { RetryableError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import { ackTopic } from "@tributary/shared/topics";
import { EmbeddedBroker } from "../../broker/embedded_broker.ts";
import { createHubMetrics, type HubMetrics } from "../../metrics.ts";
import { HotStore, type IngestResult } from "../../store/hot_store.ts";
import { BatchHandler, type BatchSink } from "../batch_handler.ts";
import { defaultMqttConfig, MqttConsumer } from "./mod.ts";

/** A logger that drops every line (the tests assert on state, not logs). */
export const quietLog = createLogger({ sink: () => {} });

/** The agent whose ack topic the rig's client subscribes to. */
export const RIG_AGENT = "edge-1";

/** What a test gets from {@linkcode withRig}. */
export interface Rig {
  broker: EmbeddedBroker;
  store: HotStore;
  metrics: HubMetrics;
  /** Plays the agent: publishes batches and records the acks on {@linkcode RIG_AGENT}'s ack topic. */
  agent: MqttClient;
  /** The acks received on {@linkcode RIG_AGENT}'s ack topic, in order. */
  acks: HubAck[];
  /** Starts a consumer (fast retries) whose handler stores into `sink` (default: the store). */
  startConsumer(sink?: BatchSink): Promise<MqttConsumer>;
  /** The single value of a `SELECT count(*) ...` on the store. */
  count(sql: string): Promise<bigint>;
}

/** Runs `fn` against a fresh rig, then stops the consumers, client, broker and store. */
export async function withRig(fn: (rig: Rig) => Promise<void>): Promise<void> {
  const log = quietLog;
  const broker = new EmbeddedBroker({ listen: { hostname: "127.0.0.1", port: 0 }, log });
  await broker.start();
  const store = await HotStore.open({ path: ":memory:" });
  const metrics = createHubMetrics({ defaultMetrics: false });
  const consumers: MqttConsumer[] = [];
  const acks: HubAck[] = [];
  const agent = mqtt.connect(broker.url!, { protocolVersion: 4, reconnectPeriod: 0 });
  // Before the subscription: no ack may arrive unhandled.
  agent.on("message", (_topic, payload) => acks.push(parseAck(payload)));
  await new Promise<void>((resolve) => agent.once("connect", () => resolve()));
  await agent.subscribeAsync(ackTopic(RIG_AGENT), { qos: 1 });
  try {
    await fn({
      broker,
      store,
      metrics,
      agent,
      acks,
      startConsumer: async (sink: BatchSink = store) => {
        const handler = new BatchHandler({ store: sink, metrics, log });
        const consumer = new MqttConsumer(
          { ...defaultMqttConfig(), url: broker.url!, connect_timeout_ms: 5000 },
          { handler, metrics, log },
          { retryInitialDelayMs: 5, retryMaxDelayMs: 20 },
        );
        consumers.push(consumer);
        await consumer.start();
        return consumer;
      },
      count: async (sql) => {
        const connection = await store.connect();
        try {
          return (await connection.runAndReadAll(sql)).getRows()[0]![0] as bigint;
        } finally {
          connection.closeSync();
        }
      },
    });
  } finally {
    for (const consumer of consumers) await consumer.stop();
    await agent.endAsync();
    await broker.stop();
    await store.close();
    await new Promise((resolve) => setTimeout(resolve, 5)); // MQTT.js store close timer
  }
}

/** Polls `check` every 10 ms until it holds; throws naming `what` after `ms`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Publishes `payload` with QoS 1 and waits for the broker's PUBACK. */
export async function publish(
  client: MqttClient,
  topic: string,
  payload: Uint8Array,
): Promise<void> {
  await client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
}

/** A sink in front of the store whose commits fail (retryably) while `down` is true. */
export interface FailingSink {
  sink: BatchSink;
  /** While true, every ingest fails with `store_failed`; set false to let them through. */
  down: boolean;
  /** How many ingests failed so far. */
  failures: number;
}

/**
 * Wraps `store` in a {@linkcode FailingSink}, down from the start (or, with
 * `recoverAfter`, for that many ingests only); quarantines always pass.
 */
export function failingSink(store: BatchSink, recoverAfter = Infinity): FailingSink {
  const state: FailingSink = {
    down: true,
    failures: 0,
    sink: {
      ingest: (batch, bytes): Promise<IngestResult> => {
        if (state.down && state.failures < recoverAfter) {
          state.failures++;
          return Promise.reject(new RetryableError("store_failed", "disk busy"));
        }
        return store.ingest(batch, bytes);
      },
      quarantine: (entry) => store.quarantine(entry),
    },
  };
  return state;
}
