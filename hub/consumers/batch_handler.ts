/**
 * What the hub does with one message from any consumer (MQTT now, Kafka
 * later): check the topic, decode, check the envelope against the topic,
 * ingest, or quarantine with a reason. Consumers add only transport concerns
 * (acknowledgement, retry, reconnect).
 *
 * @module
 */
import type { HubAck } from "@tributary/shared/ack";
import { type Heartbeat, parseHeartbeat } from "@tributary/shared/heartbeat";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import type { Logger } from "@tributary/shared/log";
import type { Batch, Kind } from "@tributary/shared/records";
import { parseAckTopic, parseBatchTopic, parseHeartbeatTopic } from "@tributary/shared/topics";
import {
  decodeBatch,
  decodeEnvelope,
  type DecodeLimits,
  type Envelope,
  WireError,
} from "@tributary/shared/wire";
import type { HubMetrics } from "../metrics.ts";
import type { IngestResult, QuarantineEntry } from "../store/hot_store.ts";

/** One message as a consumer received it. */
export interface IncomingMessage {
  /** The consumer type, e.g. `mqtt`; stored with quarantined messages. */
  source: string;
  topic: string;
  payload: Uint8Array;
}

/** The end-to-end acknowledgement a consumer should send for a handled message. */
export interface AckToSend {
  /** The agent to acknowledge to (its ack topic). */
  agent: string;
  ack: HubAck;
}

/**
 * What became of a message. `ack` is set when the agent, stream and seq range
 * are known (from a checked envelope that matches the topic): the consumer
 * sends it to the agent once `handle` resolved.
 */
export type HandleOutcome =
  | { status: "ignored" }
  | { status: "heartbeat"; result: HeartbeatResult }
  | { status: "quarantined"; reason: string; ack?: AckToSend }
  | { status: "ingested"; stream: Kind; result: IngestResult; ack?: AckToSend };

/** What became of a heartbeat: `stored`, `invalid` (counted, logged, dropped) or `store_failed`. */
export type HeartbeatResult = "stored" | "invalid" | "store_failed";

/** The store operations the handler needs (the hot store provides them). */
export interface BatchSink {
  ingest(batch: Batch, wireBytes: number): Promise<IngestResult>;
  quarantine(entry: QuarantineEntry): Promise<void>;
  /** Replaces the agent's latest heartbeat; without it heartbeats are counted `store_failed`. */
  recordHeartbeat?(hb: Heartbeat): Promise<void>;
}

/** Options of {@linkcode BatchHandler}. */
export interface BatchHandlerOptions {
  store: BatchSink;
  metrics: HubMetrics;
  log: Logger;
  /** Limits applied when decoding. */
  limits?: DecodeLimits;
}

/**
 * Handles messages. `handle` resolves once the message is committed,
 * quarantined or ignored: only then may the consumer acknowledge it.
 *
 * @example
 * ```ts
 * const handler = new BatchHandler({ store, metrics, log });
 * const outcome = await handler.handle({ source: "mqtt", topic, payload });
 * ```
 */
export class BatchHandler {
  readonly #options: BatchHandlerOptions;

  constructor(options: BatchHandlerOptions) {
    this.#options = options;
  }

  /**
   * Handles one message.
   *
   * @throws {RetryableError} only: the store failed; try the same message again later.
   */
  async handle(message: IncomingMessage): Promise<HandleOutcome> {
    const { metrics, log, store } = this.#options;
    const started = performance.now();
    const target = parseBatchTopic(message.topic);
    if (!target) {
      if (parseAckTopic(message.topic) !== undefined) return { status: "ignored" };
      const heartbeatAgent = parseHeartbeatTopic(message.topic);
      if (heartbeatAgent !== undefined) return await this.#heartbeat(heartbeatAgent, message);
      return await this.#quarantine(message, "bad_topic", `not a batch topic: ${message.topic}`);
    }
    let decoded;
    try {
      decoded = decodeBatch(message.payload, this.#options.limits);
    } catch (error) {
      // The envelope may still be sound (e.g. schema_mismatch in the body):
      // then the agent learns of the rejection and stops resending.
      const key = this.#envelopeMatching(message.payload, target);
      if (error instanceof WireError) {
        return await this.#quarantine(message, error.code, error.message, key);
      }
      return await this.#quarantine(message, "internal_error", describe(error), key);
    }
    const { envelope, batch } = decoded;
    if (envelope.agent !== target.agent || envelope.stream !== target.stream) {
      return await this.#quarantine(
        message,
        "topic_mismatch",
        `envelope says ${envelope.agent}/${envelope.stream}, topic says ${target.agent}/${target.stream}`,
      );
    }
    let result: IngestResult;
    try {
      result = await store.ingest(batch, message.payload.length);
    } catch (error) {
      if (error instanceof RetryableError) throw error;
      if (error instanceof PermanentError) {
        return await this.#quarantine(message, error.reason, error.message, envelope);
      }
      log.error("ingest failed unexpectedly; quarantining the message", {
        topic: message.topic,
        error,
      });
      return await this.#quarantine(message, "internal_error", describe(error), envelope);
    }
    const kind = batch.stream;
    metrics.batches.inc({ kind, outcome: result.outcome });
    metrics.rows.inc({ kind }, result.rowsInserted);
    metrics.duplicateRows.inc({ kind }, result.rowsDuplicate);
    metrics.bytes.inc({ kind }, message.payload.length);
    metrics.ingestSeconds.observe((performance.now() - started) / 1000);
    log.debug("batch ingested", {
      agent: batch.agent,
      stream: kind,
      first_seq: batch.firstSeq,
      last_seq: batch.lastSeq,
      ...result,
    });
    return {
      status: "ingested",
      stream: kind,
      result,
      ack: {
        agent: envelope.agent,
        ack: {
          stream: envelope.stream,
          firstSeq: envelope.firstSeq,
          lastSeq: envelope.lastSeq,
          outcome: result.outcome,
        },
      },
    };
  }

  /**
   * Stores a heartbeat. Never throws and never quarantines: a heartbeat holds
   * no data to recover, and the next one supersedes it within seconds, so a
   * bad one (or a store failure) is counted, logged and dropped.
   */
  async #heartbeat(
    topicAgent: string,
    message: IncomingMessage,
  ): Promise<HandleOutcome> {
    const { metrics, log, store } = this.#options;
    let result: HeartbeatResult = "stored";
    try {
      const hb = parseHeartbeat(message.payload);
      if (hb.agent !== topicAgent) {
        throw new PermanentError(
          "bad_heartbeat",
          `heartbeat: agent ${JSON.stringify(hb.agent)} differs from the topic's ${
            JSON.stringify(topicAgent)
          }`,
        );
      }
      try {
        if (store.recordHeartbeat === undefined) throw new Error("this store keeps no heartbeats");
        await store.recordHeartbeat(hb);
      } catch (error) {
        result = "store_failed";
        log.warn("heartbeat not stored", { agent: topicAgent, error });
      }
    } catch (error) {
      result = "invalid";
      log.warn("invalid heartbeat dropped", {
        topic: message.topic,
        size: message.payload.length,
        error,
      });
    }
    metrics.heartbeats.inc({ result });
    return { status: "heartbeat", result };
  }

  /** The envelope of `payload` when it checks out and matches the topic, else undefined. */
  #envelopeMatching(
    payload: Uint8Array,
    target: { agent: string; stream: Kind },
  ): Envelope | undefined {
    try {
      const envelope = decodeEnvelope(payload, this.#options.limits);
      return envelope.agent === target.agent && envelope.stream === target.stream
        ? envelope
        : undefined;
    } catch {
      return undefined;
    }
  }

  async #quarantine(
    message: IncomingMessage,
    reason: string,
    detail: string,
    key?: Envelope,
  ): Promise<HandleOutcome> {
    await this.#options.store.quarantine({ ...message, raw: message.payload, reason, detail });
    this.#options.metrics.quarantined.inc({ reason });
    this.#options.log.warn("message quarantined", {
      source: message.source,
      topic: message.topic,
      reason,
      detail,
      size: message.payload.length,
    });
    if (key === undefined) return { status: "quarantined", reason };
    return {
      status: "quarantined",
      reason,
      ack: {
        agent: key.agent,
        ack: {
          stream: key.stream,
          firstSeq: key.firstSeq,
          lastSeq: key.lastSeq,
          outcome: "rejected",
          reason,
        },
      },
    };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
