/**
 * What the hub does with one message from any consumer (MQTT now, Kafka
 * later): check the topic, decode, check the envelope against the topic,
 * ingest, or quarantine with a reason. Consumers add only transport concerns
 * (acknowledgement, retry, reconnect).
 *
 * @module
 */
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import type { Logger } from "@tributary/shared/log";
import type { Batch, Kind } from "@tributary/shared/records";
import { parseBatchTopic, TOPIC_PREFIX } from "@tributary/shared/topics";
import { decodeBatch, type DecodeLimits, WireError } from "@tributary/shared/wire";
import type { HubMetrics } from "../metrics.ts";
import type { IngestResult, QuarantineEntry } from "../store/hot_store.ts";

/** One message as a consumer received it. */
export interface IncomingMessage {
  /** The consumer type, e.g. `mqtt`; stored with quarantined messages. */
  source: string;
  topic: string;
  payload: Uint8Array;
}

/** What became of a message. */
export type HandleOutcome =
  | { status: "ignored" }
  | { status: "quarantined"; reason: string }
  | { status: "ingested"; stream: Kind; result: IngestResult };

/** The store operations the handler needs (the hot store provides them). */
export interface BatchSink {
  ingest(batch: Batch, wireBytes: number): Promise<IngestResult>;
  quarantine(entry: QuarantineEntry): Promise<void>;
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
      if (isAckTopic(message.topic)) return { status: "ignored" };
      return await this.#quarantine(message, "bad_topic", `not a batch topic: ${message.topic}`);
    }
    let decoded;
    try {
      decoded = decodeBatch(message.payload, this.#options.limits);
    } catch (error) {
      if (error instanceof WireError) {
        return await this.#quarantine(message, error.code, error.message);
      }
      return await this.#quarantine(message, "internal_error", describe(error));
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
        return await this.#quarantine(message, error.reason, error.message);
      }
      log.error("ingest failed unexpectedly; quarantining the message", {
        topic: message.topic,
        error,
      });
      return await this.#quarantine(message, "internal_error", describe(error));
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
    return { status: "ingested", stream: kind, result };
  }

  async #quarantine(
    message: IncomingMessage,
    reason: string,
    detail: string,
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
    return { status: "quarantined", reason };
  }
}

/** Topics under the prefix whose last level is `ack` are the hub's own acknowledgements. */
function isAckTopic(topic: string): boolean {
  return topic.startsWith(`${TOPIC_PREFIX}/`) && topic.endsWith("/ack");
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
