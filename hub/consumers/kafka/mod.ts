/**
 * The Kafka consumer: a member of the consumer group `group_id` reading
 * `<prefix>.readings|logs|trades|quotes` (batches) and `<prefix>.heartbeats`.
 * Hubs in the same group split the partitions; since records are keyed by
 * agent id, one agent's stream is read by one hub at a time, in order.
 *
 * Per record, in this order:
 * 1. the {@linkcode BatchHandler} commits the batch and its dedup mark in one
 *    DuckDB transaction (or quarantines a poison record, with its reason);
 * 2. the end-to-end ack goes to `<prefix>.acks`, key = agent id (bounded
 *    wait; a lost ack only makes the agent resend, which is deduped);
 * 3. the record's offset is committed to the group.
 * Steps 2 and 3 are grouped: after up to 50 records or 50 ms (and always
 * before a fetch batch ends) the acks go out in one request, then one offset
 * commit covers them all.
 *
 * A record whose handling is cut short (stop, rebalance) is left uncommitted,
 * so it is read again, by this hub or the next owner of its partition; the
 * hub's dedup turns a re-read on the same hub into a `duplicate` ack.
 *
 * Across hubs the only double-store window is a hub killed between its
 * DuckDB commits and the offset commit that covers them (at most one group of
 * records per partition): the next owner stores those again (same agent,
 * stream and seq ranges, so they are recognisable). See
 * docs/scaling.md.
 *
 * @example
 * ```ts
 * const consumer = kafkaConsumerFactory.create(config.kafka, { handler, metrics, log });
 * await consumer.start();
 * await consumer.stop();
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { hostname } from "node:os";
import {
  type Admin,
  type Consumer as KafkaJsConsumer,
  Kafka,
  Partitioners,
  type Producer,
} from "kafkajs";
import { encodeAck } from "@tributary/shared/ack";
import { ConfigError, RetryableError } from "@tributary/shared/errors";
import {
  KAFKA_PASSWORD_ENV,
  kafkaAckTopic,
  kafkaBatchTopics,
  kafkaHeartbeatTopic,
  kafkajsClientConfig,
  keepEventLoopTicking,
  parseKafkaBatchTopic,
} from "@tributary/shared/kafka/connection";
import { batchTopic, heartbeatTopic } from "@tributary/shared/topics";
import type { AckToSend } from "../batch_handler.ts";
import { type ConsumerRetryTuning, handlingRetryOptions, retryUntilDone } from "../retry.ts";
import { startWithinDeadline, withinDeadline } from "@tributary/shared/deadline";
import type { Consumer, ConsumerContext, ConsumerFactory } from "../consumer.ts";
import {
  defaultKafkaConsumerConfig,
  type KafkaConsumerConfig,
  validateKafkaConsumerConfig,
} from "./config.ts";

export {
  defaultKafkaConsumerConfig,
  type KafkaConsumerConfig,
  validateKafkaConsumerConfig,
} from "./config.ts";

/** Options for tests and tuning, beyond the config file. */
export interface KafkaConsumerOptions extends ConsumerRetryTuning {
  /** Longest wait for an ack's produce before the offset is committed anyway, in ms. @default 5000 */
  ackTimeoutMs?: number;
}

/** Creates Kafka consumers; `type` is `kafka`. */
export const kafkaConsumerFactory: ConsumerFactory<KafkaConsumerConfig> = {
  type: "kafka",
  defaultConfig: defaultKafkaConsumerConfig,
  validate: validateKafkaConsumerConfig,
  create: (config, context) => new KafkaConsumer(config, context),
};

/** The Kafka consumer; see the module documentation. */
export class KafkaConsumer implements Consumer {
  readonly #config: KafkaConsumerConfig;
  readonly #context: ConsumerContext;
  readonly #options: KafkaConsumerOptions;
  readonly #abort = new AbortController();
  #kafka: Kafka | undefined;
  /** Set while a consumer kafkajs gave up on is being replaced (see #rebuild). */
  #rebuilding: Promise<void> | undefined;
  #consumer: KafkaJsConsumer | undefined;
  #producer: Producer | undefined;
  #stopping: Promise<void> | undefined;
  #started = false;
  /** Stops the timer that keeps kafkajs's callbacks running (see keepEventLoopTicking). */
  #stopTicking: (() => void) | undefined;

  constructor(
    config: KafkaConsumerConfig,
    context: ConsumerContext,
    options: KafkaConsumerOptions = {},
  ) {
    if (config.brokers.length === 0) {
      throw new ConfigError("kafka.brokers", [], 'at least one "host:port" to run the consumer');
    }
    this.#config = config;
    this.#context = context;
    this.#options = options;
  }

  /** The partitions this member owns now, by topic (for status and tests). */
  assignment(): Record<string, number[]> {
    return { ...this.#assigned };
  }
  #assigned: Record<string, number[]> = {};

  /**
   * Connects, creates missing topics (with `create_topics`), joins the group
   * and resolves once it is a member.
   *
   * @throws {ConfigError} when a TLS file cannot be read.
   * @throws {RetryableError} when it cannot join within `connect_timeout_ms`.
   */
  async start(): Promise<void> {
    if (this.#started || this.#stopping) return;
    this.#started = true;
    const c = this.#config;
    const { log } = this.#context;
    let password = c.sasl_password;
    try {
      password = Deno.env.get(KAFKA_PASSWORD_ENV) ?? password;
    } catch {
      // No --allow-env: the config file's password stands.
    }
    const clientId = c.client_id || `tributary-hub-${hostname()}-${Deno.pid}`;
    const kafka = new Kafka(
      kafkajsClientConfig({ ...c, sasl_password: password }, "kafka", clientId, log, {
        connectionTimeout: 3_000,
        retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
      }),
    );
    this.#kafka = kafka;
    this.#stopTicking = keepEventLoopTicking();
    await startWithinDeadline(this.#connect(kafka), {
      timeoutMs: c.connect_timeout_ms,
      onTimeout: () =>
        new RetryableError(
          "connect_timeout",
          `kafka: not a member of group ${c.group_id} at ${
            c.brokers.join(",")
          } within ${c.connect_timeout_ms} ms`,
        ),
      stop: () => this.stop(),
    });
  }

  /**
   * Stops: abandons a retry wait (that record stays uncommitted), lets a
   * record in progress finish and be committed, then leaves the group.
   * Idempotent; safe before start.
   */
  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  /**
   * Replaces a consumer kafkajs gave up on: disconnects it and the ack
   * producer, then connects and joins again, retrying with backoff until it
   * is a member or the consumer stops.
   */
  #rebuild(): void {
    if (this.#rebuilding || this.#abort.signal.aborted || !this.#kafka) return;
    const kafka = this.#kafka;
    const { log } = this.#context;
    const stopped = new Promise<void>((resolve) =>
      this.#abort.signal.addEventListener("abort", () => resolve(), { once: true })
    );
    this.#rebuilding = (async () => {
      for (let attempt = 1; !this.#abort.signal.aborted; attempt++) {
        await this.#consumer?.disconnect().catch(() => {});
        await this.#producer?.disconnect().catch(() => {});
        try {
          await Promise.race([this.#connect(kafka), stopped]);
          if (!this.#abort.signal.aborted) {
            this.#context.metrics.kafkaConsumerRebuilds.inc();
            log.info("kafka consumer rebuilt", { attempt });
          }
          return;
        } catch (error) {
          const waitMs = Math.min(10_000, 500 * 2 ** (attempt - 1));
          log.warn("kafka consumer rebuild failed; retrying", { attempt, waitMs, error });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, waitMs);
            stopped.then(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      }
    })().finally(() => {
      this.#rebuilding = undefined;
    });
  }

  #onCrash(consumer: KafkaJsConsumer, payload: { error: Error; restart: boolean }): void {
    this.#context.log.warn("kafka consumer crashed", {
      error: payload.error,
      restart: payload.restart,
    });
    // kafkajs restarts by itself unless the error is not retriable (e.g. "the
    // coordinator is not aware of this member" after a broker restart); then
    // the hub would stop consuming for good, so it rebuilds the client.
    if (payload.restart === false && this.#consumer === consumer) this.#rebuild();
  }

  /**
   * Test seam: handles a CRASH with `restart: false` on the live consumer
   * exactly as if kafkajs had emitted it (kafkajs has no public way to emit
   * its events, and broker faults that make it give up are slow to cause). Like kafkajs
   * before it emits CRASH, the live consumer is disconnected first, so it
   * stops fetching. Resolves once the rebuild is done (or the consumer stops).
   */
  async crashForTest(error: Error = new Error("injected by a test")): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer) return;
    await consumer.disconnect().catch(() => {});
    this.#onCrash(consumer, { error, restart: false });
    await this.#rebuilding;
  }

  async #stop(): Promise<void> {
    this.#abort.abort(new Error("consumer stopping"));
    await this.#rebuilding;
    // disconnect() waits for the eachBatch in progress, then leaves the group.
    await this.#consumer?.disconnect().catch((error) =>
      this.#context.log.warn("kafka consumer disconnect failed", { error })
    );
    await this.#producer?.disconnect().catch(() => {});
    this.#stopTicking?.();
  }

  async #connect(kafka: Kafka): Promise<void> {
    const c = this.#config;
    const { log } = this.#context;
    const prefix = c.topic_prefix;
    const topics = [...kafkaBatchTopics(prefix), kafkaHeartbeatTopic(prefix)];
    if (c.create_topics) {
      const admin: Admin = kafka.admin();
      await admin.connect();
      try {
        const created = await admin.createTopics({
          waitForLeaders: true,
          topics: [...topics, kafkaAckTopic(prefix)].map((topic) => ({
            topic,
            numPartitions: c.partitions,
            replicationFactor: c.replication_factor,
          })),
        });
        if (created) log.info("kafka topics created", { prefix, partitions: c.partitions });
      } finally {
        await admin.disconnect();
      }
    }
    const producer = kafka.producer({
      allowAutoTopicCreation: true,
      // Explicit (the v2 default): acks for one agent land in one partition.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.#producer = producer;
    await producer.connect();

    const consumer = kafka.consumer({
      groupId: c.group_id,
      sessionTimeout: c.session_timeout_ms,
      rebalanceTimeout: Math.max(c.session_timeout_ms, 10_000),
      heartbeatInterval: Math.max(100, Math.floor(c.session_timeout_ms / 10)),
      allowAutoTopicCreation: true,
      maxWaitTimeInMs: 100,
    });
    this.#consumer = consumer;
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        const assigned = event.payload.memberAssignment as Record<string, number[]>;
        this.#assigned = assigned;
        log.info("kafka group joined", {
          group_id: c.group_id,
          member_id: event.payload.memberId,
          assignment: assigned,
        });
        resolve();
      });
    });
    consumer.on(consumer.events.CRASH, (event) => this.#onCrash(consumer, event.payload));
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        // Records are stored one by one (one DuckDB transaction each); their
        // acks and the offset commit go out together every FLUSH_RECORDS
        // records or FLUSH_MS, and always before this fetch batch ends: two
        // round trips per group of records instead of per record.
        const acks: AckToSend[] = [];
        let done: string | undefined;
        let since = performance.now();
        const flush = async () => {
          if (done === undefined) return;
          const offset = done;
          done = undefined;
          await this.#sendAcks(acks.splice(0));
          // After the DuckDB commits and the acks: a crash before this line
          // re-reads these records; the dedup marks make that harmless here.
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: nextOffset(offset) },
          ]);
          resolveOffset(offset);
          since = performance.now();
          await heartbeat();
        };
        try {
          for (const message of batch.messages) {
            if (!isRunning() || isStale() || this.#abort.signal.aborted) break;
            const handled = await this.#handle(batch.topic, message.key, message.value);
            if (!handled) break; // stopped mid-way: leave it uncommitted
            if (handled.ack) acks.push(handled.ack);
            done = message.offset;
            if (acks.length >= FLUSH_RECORDS || performance.now() - since >= FLUSH_MS) {
              await flush();
            }
          }
        } finally {
          // Also when a record failed unexpectedly: what was stored before it is committed.
          await flush();
        }
      },
    });
    await joined;
  }

  /** Handles one record until done; false when stopped before it was (do not commit). */
  async #handle(
    topic: string,
    key: Buffer | null,
    value: Buffer | null,
  ): Promise<false | { ack?: AckToSend }> {
    const { handler, log } = this.#context;
    const prefix = this.#config.topic_prefix;
    const agent = key === null ? "" : key.toString("utf8");
    const kind = parseKafkaBatchTopic(prefix, topic);
    // The handler speaks in MQTT topic terms; map (Kafka topic, key) onto
    // them so its checks (agent id, envelope vs key) apply unchanged.
    const handlerTopic = kind !== undefined
      ? batchTopic(agent, kind)
      : topic === kafkaHeartbeatTopic(prefix)
      ? heartbeatTopic(agent)
      : `kafka/${topic}`;
    const payload = value === null
      ? new Uint8Array()
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    try {
      const outcome = await retryUntilDone(
        () => handler.handle({ source: "kafka", topic: handlerTopic, payload }),
        handlingRetryOptions(
          this.#abort.signal,
          this.#options,
          this.#context,
          "record handling failed; retrying",
          topic,
        ),
      );
      return "ack" in outcome && outcome.ack ? { ack: outcome.ack } : {};
    } catch (error) {
      if (this.#abort.signal.aborted) return false;
      // A bug, not bad input (that is quarantined): let kafkajs retry the batch.
      log.error("record handling failed", { topic, error });
      throw error;
    }
  }

  /**
   * Produces end-to-end acks to `<prefix>.acks`, key = agent id, in one
   * request, waiting at most `ackTimeoutMs`: a lost ack only makes the agent
   * resend, which is deduplicated and acknowledged again.
   */
  async #sendAcks(acks: AckToSend[]): Promise<void> {
    const { metrics, log } = this.#context;
    const producer = this.#producer;
    if (producer === undefined || acks.length === 0) return;
    try {
      await withinDeadline(
        producer.send({
          topic: kafkaAckTopic(this.#config.topic_prefix),
          acks: 1,
          messages: acks.map(({ agent, ack }) => ({
            key: agent,
            value: Buffer.from(encodeAck(ack)),
          })),
        }),
        {
          timeoutMs: this.#options.ackTimeoutMs ?? 5_000,
          onTimeout: () => new Error("ack produce timed out"),
        },
      );
      for (const { ack } of acks) metrics.acks.inc({ outcome: ack.outcome });
    } catch (error) {
      log.warn("ack produce failed", { acks: acks.length, error });
    }
  }
}

/** Acks and the offset commit go out at least every this many records... */
const FLUSH_RECORDS = 50;
/** ...or this many ms after the previous flush, whichever comes first. */
const FLUSH_MS = 50;

function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}
