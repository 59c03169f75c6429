/**
 * The Kafka transport (kafkajs 2.2.4): one record per batch to
 * `<prefix>.<stream>` (e.g. `tributary.readings`), key = agent id, so one
 * agent's batches of a stream stay ordered in one partition. The producer is
 * idempotent with acks=all and one request in flight; compression is off
 * because the wire body is already compressed (zstd by default).
 *
 * Never queues: a send while not connected is refused at once with a
 * `RetryableError`, and a send the broker has not acknowledged within
 * `send_timeout_ms` fails retryably. The agent's DuckDB buffer is the only
 * store; the shipper resends and the hub dedups.
 *
 * Confirmation (`ack`): with `"hub"` (the default) the transport reads the
 * hub's acks from `<prefix>.acks` (records keyed by agent id; it skips other
 * agents' keys) in a consumer group of its own per run
 * (`<client id>-acks-<random>`, no committed offsets: acks from before a
 * restart cannot match anything) and a send resolves only when the hub's ack
 * for the same (stream, first_seq, last_seq) arrives. The transport counts as
 * connected only once that consumer has joined and fetched once, so no ack
 * produced after a send can be missed. See docs/adr/0003-kafka-acks.md.
 *
 * Heartbeats go to `<prefix>.heartbeats`, key = agent id, at most one in flight.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type Consumer, Kafka, Partitioners, type Producer } from "kafkajs";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import {
  KAFKA_PASSWORD_ENV,
  kafkaAckTopic,
  kafkaBatchTopic,
  kafkaHeartbeatTopic,
  kafkajsClientConfig,
  keepEventLoopTicking,
} from "@tributary/shared/kafka/connection";
import type { Kind } from "@tributary/shared/records";
import { backoffDelay } from "../../backoff.ts";
import type { OutgoingBatch, Transport, TransportContext, TransportFactory } from "../transport.ts";
import { oversizeError } from "../config.ts";
import { ackKey, awaitHubAck, type HubAckCounters, HubAckWaiters } from "../hub_acks.ts";
import {
  defaultKafkaTransportConfig,
  type KafkaTransportConfig,
  validateKafkaTransportConfig,
} from "./config.ts";

export {
  defaultKafkaTransportConfig,
  type KafkaTransportConfig,
  validateKafkaTransportConfig,
} from "./config.ts";

/** The Kafka transport factory (`[transport] type = "kafka"`). */
export const kafkaTransport: TransportFactory<KafkaTransportConfig> = {
  type: "kafka",
  defaultConfig: defaultKafkaTransportConfig,
  validate: validateKafkaTransportConfig,
  create: (config, ctx) => new KafkaTransport(config, ctx),
};

/** Counters of the hub acks a transport received (invalid: records with this agent's key that are not an ack). */
export type KafkaAckCounters = HubAckCounters;

interface PendingSend {
  key: string;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** True once settled (resolved, rejected, timed out or stopped). */
  settled: boolean;
  settle(error?: Error): void;
  /** The broker acknowledged the record: resolve (broker mode) or start the hub-ack wait. */
  onBrokerAck(): void;
}

/** A send waiting in its stream's queue for the producer. */
interface QueuedSend {
  pending: PendingSend;
  agent: string;
  bytes: Uint8Array;
}

/** A transport producing batches to Kafka; see the module documentation. */
export class KafkaTransport implements Transport {
  readonly #config: KafkaTransportConfig;
  readonly #ctx: TransportContext;
  readonly #clientId: string;
  readonly #pending = new Set<PendingSend>();
  /** Sends awaiting the hub's ack (hub mode), and the counters of acks received. */
  readonly #hubAcks = new HubAckWaiters<PendingSend>();
  /** Per stream: sends waiting for the producer, and whether a produce request is out. */
  readonly #queues = new Map<string, { waiting: QueuedSend[]; busy: boolean }>();
  #kafka: Kafka | undefined;
  #producer: Producer | undefined;
  #ackConsumer: Consumer | undefined;
  #producerReady = false;
  #ackReady = false;
  #heartbeatInFlight = false;
  #connecting: Promise<void> | undefined;
  #loopRunning = false;
  /** The connect attempt in progress (settled or not); stop() waits for it to unwind. */
  #attempt: Promise<void> | undefined;
  #wakeConnect: (() => void) | undefined;
  #stopped = false;
  #started = false;
  /** Stops the timer that keeps kafkajs's callbacks running (see keepEventLoopTicking). */
  #stopTicking: (() => void) | undefined;
  /** Settles (rejects) when stop() begins, to cut a connect attempt short. */
  readonly #stopSignal = new AbortController();

  constructor(config: KafkaTransportConfig, ctx: TransportContext) {
    this.#config = config;
    this.#ctx = ctx;
    this.#clientId = config.client_id || `tributary-agent-${ctx.agent}`;
  }

  /** True while the producer is connected (and, in hub mode, the ack consumer reads). */
  get connected(): boolean {
    return !this.#stopped && this.#producerReady &&
      (this.#config.ack === "broker" || this.#ackReady);
  }

  /** Counters of hub acks received, as a snapshot. */
  ackCounters(): KafkaAckCounters {
    return this.#hubAcks.counters();
  }

  /**
   * Starts connecting and resolves at once: the agent runs (and buffers)
   * while the brokers are away.
   *
   * @throws {ConfigError} when a TLS file cannot be read.
   */
  start(): Promise<void> {
    if (this.#started || this.#stopped) return Promise.resolve();
    this.#started = true;
    const c = this.#config;
    let password = c.sasl_password;
    try {
      password = Deno.env.get(KAFKA_PASSWORD_ENV) ?? password;
    } catch {
      // No --allow-env: the config file's password stands.
    }
    this.#kafka = new Kafka(
      kafkajsClientConfig(
        { ...c, sasl_password: password },
        "transport.kafka",
        this.#clientId,
        this.#ctx.log,
        {
          connectionTimeout: Math.min(c.connect_timeout_ms, 30_000),
          requestTimeout: c.send_timeout_ms,
          // Our shipper retries with backoff; kafkajs only bridges a blip.
          retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
        },
      ),
    );
    this.#stopTicking = keepEventLoopTicking();
    this.#reconnect();
    return Promise.resolve();
  }

  send(message: OutgoingBatch): Promise<void> {
    if (this.#stopped) {
      return Promise.reject(new RetryableError("stopped", "kafka transport is stopped"));
    }
    const oversize = oversizeError(message.bytes, "transport.kafka", this.#config);
    if (oversize) return Promise.reject(oversize);
    const producer = this.#producer;
    if (producer === undefined || !this.connected) {
      return Promise.reject(
        new RetryableError("disconnected", `not connected to ${this.#config.brokers.join(",")}`),
      );
    }
    const hubAcks = this.#config.ack === "hub";
    const key = ackKey(message.stream, message.firstSeq, message.lastSeq);
    return new Promise<void>((resolve, reject) => {
      const pending: PendingSend = {
        key,
        timer: undefined,
        settled: false,
        settle: (error) => {
          if (pending.settled) return;
          pending.settled = true;
          clearTimeout(pending.timer);
          this.#pending.delete(pending);
          this.#hubAcks.forget(pending.key, pending);
          if (error) reject(error);
          else resolve();
        },
        onBrokerAck: () => {
          if (!hubAcks) return pending.settle();
          if (pending.settled) return;
          awaitHubAck(pending, this.#config.ack_timeout_ms, this.#ctx.log, "the broker's");
        },
      };
      pending.timer = setTimeout(() => {
        pending.settle(
          new RetryableError(
            "timeout",
            `no broker acknowledgement within ${this.#config.send_timeout_ms} ms`,
          ),
        );
      }, this.#config.send_timeout_ms);
      this.#pending.add(pending);
      // Registered before producing: the hub's ack may overtake the broker's.
      if (hubAcks) this.#hubAcks.wait(key, pending);
      const queue = this.#queues.get(message.stream) ??
        (this.#queues.set(message.stream, { waiting: [], busy: false }).get(message.stream)!);
      queue.waiting.push({ pending, agent: message.agent, bytes: message.bytes });
      this.#pump(producer, message.stream, queue);
    });
  }

  /**
   * Produces a stream's queued sends one request at a time, in send order.
   * kafkajs may reorder concurrent `send()` calls (each awaits metadata before
   * it reaches the connection), so a stream never has two requests out; the
   * sends waiting meanwhile go together in the next request (one record each,
   * together at most `max_message_bytes`, the broker's record-batch limit).
   */
  async #pump(
    producer: Producer,
    stream: string,
    queue: { waiting: QueuedSend[]; busy: boolean },
  ): Promise<void> {
    if (queue.busy) return;
    queue.busy = true;
    try {
      while (queue.waiting.length > 0) {
        const request: QueuedSend[] = [];
        let bytes = 0;
        while (queue.waiting.length > 0) {
          const next = queue.waiting[0]!;
          if (next.pending.settled) {
            queue.waiting.shift(); // timed out or stopped while queued: never produce it
            continue;
          }
          if (
            request.length > 0 && bytes + next.bytes.byteLength > this.#config.max_message_bytes
          ) {
            break;
          }
          bytes += next.bytes.byteLength;
          request.push(queue.waiting.shift()!);
        }
        if (request.length === 0) break;
        try {
          await producer.send({
            topic: kafkaBatchTopic(this.#config.topic_prefix, stream as Kind),
            acks: -1,
            messages: request.map((entry) => ({
              key: entry.agent,
              value: Buffer.from(
                entry.bytes.buffer,
                entry.bytes.byteOffset,
                entry.bytes.byteLength,
              ),
            })),
          });
          for (const entry of request) entry.pending.onBrokerAck();
        } catch (error) {
          const failure = classifySendError(error);
          for (const entry of request) entry.pending.settle(failure);
          if (PRODUCER_STATE_ERRORS.has(String((error as { type?: unknown })?.type))) {
            // The broker no longer knows this idempotent producer's id or
            // sequence (e.g. it lost its state): the same producer would fail
            // forever, so build a new one (a new producer id).
            this.#resetProducer(producer, error);
            for (const entry of queue.waiting.splice(0)) {
              entry.pending.settle(new RetryableError("disconnected", "kafka producer replaced"));
            }
            return;
          }
        }
      }
    } finally {
      queue.busy = false;
    }
  }

  /**
   * Produces a heartbeat to `<prefix>.heartbeats` without waiting for it; at
   * most one is in flight (a newer one supersedes it anyway). False when it
   * cannot now.
   */
  publishHeartbeat(payload: Uint8Array): boolean {
    const producer = this.#producer;
    if (this.#stopped || producer === undefined || !this.#producerReady) return false;
    if (this.#heartbeatInFlight) return false;
    this.#heartbeatInFlight = true;
    producer.send({
      topic: kafkaHeartbeatTopic(this.#config.topic_prefix),
      acks: -1,
      messages: [{
        key: this.#ctx.agent,
        value: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
      }],
    }).catch((error) => this.#ctx.log.debug("heartbeat produce failed", { error }))
      .finally(() => {
        this.#heartbeatInFlight = false;
      });
    return true;
  }

  /**
   * Rejects sends still waiting, stops the ack consumer and disconnects.
   * Idempotent; safe before start.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopSignal.abort();
    this.#wakeConnect?.();
    for (const p of [...this.#pending]) {
      p.settle(new RetryableError("stopped", "kafka transport stopped"));
    }
    await this.#connecting;
    this.#producerReady = false;
    this.#ackReady = false;
    if (this.#ackConsumer) await bounded(this.#ackConsumer.disconnect(), 10_000);
    if (this.#producer) await bounded(this.#producer.disconnect(), 10_000);
    // A connect cut short may still sit in kafkajs's retry wait (at most
    // ~2 s with retries: 2); let it unwind so no timer outlives stop().
    if (this.#attempt) await bounded(this.#attempt, 10_000);
    this.#stopTicking?.();
  }

  /**
   * Connects the producer (and, in hub mode, the ack consumer until it is
   * ready), retrying with backoff until done or stopped. Each attempt is
   * bounded (3 × `connect_timeout_ms`): a half-made connection is torn down
   * and built again rather than waited on forever.
   */
  async #connectLoop(): Promise<void> {
    const kafka = this.#kafka!;
    // Every attempt of an outage fails alike: warn once (and per new error), repeats at debug.
    let warned: string | undefined;
    for (let attempt = 0; !this.#stopped; attempt++) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const limitMs = this.#config.connect_timeout_ms * 3;
        const attempt = this.#connectOnce(kafka);
        this.#attempt = attempt.catch(() => {});
        await Promise.race([
          attempt,
          new Promise<never>((_, reject) => {
            this.#stopSignal.signal.addEventListener(
              "abort",
              () => reject(new RetryableError("stopped", "kafka transport stopped")),
              { once: true },
            );
            timer = setTimeout(
              () => reject(new RetryableError("connect_timeout", `not ready within ${limitMs} ms`)),
              limitMs,
            );
          }),
        ]);
        return;
      } catch (error) {
        if (this.#stopped) return;
        await this.#tearDownUnready();
        const wait = backoffDelay(attempt, {
          initialMs: this.#config.reconnect_initial_ms,
          maxMs: this.#config.reconnect_max_ms,
        });
        const described = describe(error);
        this.#ctx.log[described === warned ? "debug" : "warn"]("kafka connect failed; retrying", {
          delay_ms: wait,
          error: described,
        });
        warned = described;
        await new Promise<void>((resolve) => {
          const sleep = setTimeout(resolve, wait);
          this.#wakeConnect = () => {
            clearTimeout(sleep);
            resolve();
          };
        });
        this.#wakeConnect = undefined;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Drops `producer` (if still current) and connects a new one. */
  #resetProducer(producer: Producer, error: unknown): void {
    if (this.#producer !== producer || this.#stopped) return;
    this.#ctx.log.warn("kafka producer state lost; building a new producer", {
      error: describe(error),
    });
    this.#producer = undefined;
    this.#producerReady = false;
    void bounded(producer.disconnect(), 5_000).then(() => this.#reconnect());
  }

  /** Starts the connect loop again unless it runs (e.g. after the ack consumer gave up). */
  #reconnect(): void {
    if (this.#stopped || this.#loopRunning) return;
    this.#loopRunning = true;
    this.#connecting = this.#connectLoop().finally(() => {
      this.#loopRunning = false;
    });
  }

  async #connectOnce(kafka: Kafka): Promise<void> {
    if (!this.#producerReady) {
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: true,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.#producer = producer;
      await producer.connect();
      if (this.#producer !== producer) return; // torn down meanwhile
      this.#producerReady = true;
      this.#ctx.log.info("kafka producer connected", { brokers: this.#config.brokers });
    }
    if (this.#config.ack === "hub" && !this.#ackReady) await this.#startAckConsumer(kafka);
  }

  /** Disconnects whatever part is not ready, so the next attempt starts clean. */
  async #tearDownUnready(): Promise<void> {
    if (!this.#producerReady && this.#producer !== undefined) {
      const producer = this.#producer;
      this.#producer = undefined;
      await bounded(producer.disconnect(), 5_000);
    }
    if (!this.#ackReady && this.#ackConsumer !== undefined) {
      const consumer = this.#ackConsumer;
      this.#ackConsumer = undefined;
      await bounded(consumer.disconnect(), 5_000);
    }
  }

  /** Starts the ack consumer and resolves once it has joined its group and fetched once. */
  async #startAckConsumer(kafka: Kafka): Promise<void> {
    const groupId = `${this.#clientId}-acks-${crypto.randomUUID().slice(0, 8)}`;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 1_000,
      allowAutoTopicCreation: true,
      maxWaitTimeInMs: 100,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
    this.#ackConsumer = consumer;
    const { GROUP_JOIN, FETCH, CRASH, DISCONNECT, STOP } = consumer.events;
    let joined = false;
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    consumer.on(GROUP_JOIN, () => {
      joined = true;
      this.#ackReady = false;
    });
    // The first fetch after a join means the start offset is resolved:
    // every ack produced from now on will be read.
    consumer.on(FETCH, () => {
      if (!joined || this.#ackReady || this.#stopped || this.#ackConsumer !== consumer) return;
      this.#ackReady = true;
      this.#ctx.log.info("kafka ack consumer ready", { group_id: groupId });
      markReady();
    });
    const notReady = () => {
      joined = false;
      if (this.#ackConsumer === consumer) this.#ackReady = false;
    };
    consumer.on(DISCONNECT, notReady);
    consumer.on(STOP, notReady);
    consumer.on(CRASH, (event) => {
      notReady();
      // kafkajs restarts the consumer itself unless the error is not retriable;
      // then build a new one.
      if (event.payload.restart === false && this.#ackConsumer === consumer) {
        this.#ctx.log.warn("kafka ack consumer gave up; rebuilding it", {
          error: describe(event.payload.error),
        });
        this.#ackConsumer = undefined;
        void bounded(consumer.disconnect(), 5_000).then(() => this.#reconnect());
      }
    });
    await consumer.connect();
    await consumer.subscribe({
      topic: kafkaAckTopic(this.#config.topic_prefix),
      fromBeginning: false,
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ message }) => {
        this.#onAckRecord(message.key, message.value);
        return Promise.resolve();
      },
    });
    await Promise.race([ready, this.#stopped_()]);
  }

  /** Rejects once stop() has begun. */
  #stopped_(): Promise<never> {
    return new Promise<never>((_, reject) => {
      const fail = () => reject(new RetryableError("stopped", "kafka transport stopped"));
      if (this.#stopSignal.signal.aborted) fail();
      else this.#stopSignal.signal.addEventListener("abort", fail, { once: true });
    });
  }

  /** Settles the sends a hub ack names; ignores (and counts) anything else. */
  #onAckRecord(key: Buffer | null, value: Buffer | null): void {
    if (key === null || key.toString("utf8") !== this.#ctx.agent) return;
    this.#hubAcks.receive(value === null ? new Uint8Array() : new Uint8Array(value), this.#ctx.log);
  }
}

/** kafkajs error types after which an idempotent producer must be replaced. */
const PRODUCER_STATE_ERRORS = new Set([
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "UNKNOWN_PRODUCER_ID",
  "INVALID_PRODUCER_EPOCH",
  "INVALID_PRODUCER_ID_MAPPING",
]);

/**
 * Maps a kafkajs send failure to ours: a record the broker refuses as too
 * large is permanent (the shipper splits the batch); anything else
 * (connection lost, leader moved, timeout) is retryable.
 */
export function classifySendError(error: unknown): Error {
  const type = (error as { type?: unknown })?.type;
  const message = error instanceof Error ? error.message : String(error);
  if (type === "MESSAGE_TOO_LARGE" || type === "RECORD_LIST_TOO_LARGE") {
    return new PermanentError("too_large", `broker refused the batch: ${message}`, {
      cause: error,
    });
  }
  return new RetryableError("disconnected", `kafka produce failed: ${message}`, { cause: error });
}

/** Waits for `promise` at most `ms`; never rejects (for teardown). */
async function bounded(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
