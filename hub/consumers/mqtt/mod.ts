/**
 * The MQTT consumer: subscribes to every agent's batch topic with QoS 1 and a
 * persistent session, and acknowledges (PUBACK) each message only after the
 * hub committed or quarantined it. After the commit (or the quarantine of a
 * batch whose envelope is sound) it also publishes the end-to-end ack, QoS 1,
 * to `tributary/v1/<agent>/ack` (docs/wire-format.md, "Acknowledgements"),
 * before the PUBACK. A message whose handling is cut short by
 * `stop()` is never acknowledged, so the broker delivers it again to the
 * next session.
 *
 * @example
 * ```ts
 * const consumer = mqttConsumerFactory.create(config.mqtt, { handler, metrics, log });
 * await consumer.start();
 * // ...
 * await consumer.stop();
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { ConfigError, RetryableError } from "@tributary/shared/errors";
import { mqttAuthTlsOptions } from "@tributary/shared/mqtt/connection";
import { encodeAck } from "@tributary/shared/ack";
import { ackTopic, parseAckTopic } from "@tributary/shared/topics";
import type { AckToSend } from "../batch_handler.ts";
import { type ConsumerRetryTuning, handlingRetryOptions, retryUntilDone } from "../retry.ts";
import { startWithinDeadline } from "@tributary/shared/deadline";
import type { Consumer, ConsumerContext, ConsumerFactory } from "../consumer.ts";
import {
  defaultMqttConfig,
  type MqttConsumerConfig,
  subscriptionFilters,
  validateMqttConfig,
} from "./config.ts";

export { defaultMqttConfig, type MqttConsumerConfig, validateMqttConfig } from "./config.ts";

/** Options for tests and tuning, beyond the config file. */
export interface MqttConsumerOptions extends ConsumerRetryTuning {
  /** Delay between reconnect attempts, in ms. @default 1000 */
  reconnectPeriodMs?: number;
}

/** Creates MQTT consumers; `type` is `mqtt`. */
export const mqttConsumerFactory: ConsumerFactory<MqttConsumerConfig> = {
  type: "mqtt",
  defaultConfig: defaultMqttConfig,
  validate: validateMqttConfig,
  create: (config, context) => new MqttConsumer(config, context),
};

/** The MQTT consumer; see the module documentation. */
export class MqttConsumer implements Consumer {
  readonly #config: MqttConsumerConfig;
  readonly #context: ConsumerContext;
  readonly #options: MqttConsumerOptions;
  readonly #abort = new AbortController();
  #client: MqttClient | undefined;
  /** The message being handled; MQTT.js hands over the next one only after `done`. */
  #inFlight: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;

  constructor(
    config: MqttConsumerConfig,
    context: ConsumerContext,
    options: MqttConsumerOptions = {},
  ) {
    if (config.url === "") {
      throw new ConfigError(
        "mqtt.url",
        config.url,
        "a broker URL (the hub fills it in for the embedded broker)",
      );
    }
    this.#config = config;
    this.#context = context;
    this.#options = options;
  }

  /**
   * Connects, subscribes and resolves once the first subscription is granted.
   *
   * @throws {ConfigError} when a TLS file cannot be read.
   * @throws {RetryableError} when no connection and subscription succeed within `connect_timeout_ms`.
   */
  async start(): Promise<void> {
    if (this.#client || this.#stopping) return;
    const { log } = this.#context;
    const client = mqtt.connect(this.#config.url, this.#clientOptions());
    this.#client = client;
    // Set before the connection exists: with clean: false the broker may deliver
    // queued messages right after CONNACK, and they must not go unhandled.
    client.handleMessage = (packet, done) => {
      // `tributary/v1/+/+` also matches the hub's own acks: acknowledge them
      // at once, without decoding or queueing them behind batches.
      if (parseAckTopic(packet.topic) !== undefined) return done();
      const payload = typeof packet.payload === "string"
        ? new TextEncoder().encode(packet.payload)
        : new Uint8Array(
          packet.payload.buffer,
          packet.payload.byteOffset,
          packet.payload.byteLength,
        );
      this.#inFlight = this.#handle(packet.topic, payload).then((handled) => {
        try {
          if (handled) done();
        } catch (error) {
          log.warn("mqtt acknowledgement failed", { topic: packet.topic, error });
        }
      });
    };
    client.on("error", (error) => log.warn("mqtt client error", { error }));
    client.on("offline", () => log.warn("mqtt broker unreachable; reconnecting"));
    const subscribed = new Promise<void>((resolve, reject) => {
      // Subscribe on every connect: a broker that lost the session (restart without
      // persistence) would otherwise leave the hub connected but deaf.
      client.on("connect", (connack) => {
        log.info("mqtt connected", {
          url: this.#config.url,
          session_present: connack.sessionPresent,
        });
        // With mqtt.shared_group: `$share/<group>/...` filters (config.ts, subscriptionFilters).
        const filters = subscriptionFilters(this.#config);
        client.subscribe(filters, { qos: 1 }, (error, granted) => {
          if (error) return log.warn("mqtt subscribe failed", { error });
          if (granted?.some((g) => g.qos !== 1)) {
            const error = new RetryableError(
              "subscribe_refused",
              `broker refused ${filters.join(", ")} QoS 1`,
            );
            log.error("mqtt subscribe refused", { granted });
            return reject(error);
          }
          resolve();
        });
      });
    });
    await startWithinDeadline(subscribed, {
      timeoutMs: this.#config.connect_timeout_ms,
      onTimeout: () =>
        new RetryableError(
          "connect_timeout",
          `mqtt: no connection to ${this.#config.url} within ${this.#config.connect_timeout_ms} ms`,
        ),
      signal: this.#abort.signal,
      onAbort: () => new RetryableError("stopped", "mqtt: stopped before the first connection"),
      stop: () => this.stop(),
    });
  }

  /**
   * Stops: abandons a retry wait (that message stays unacknowledged), lets a
   * commit in progress finish and be acknowledged, then disconnects.
   * Idempotent; safe before start.
   */
  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  async #stop(): Promise<void> {
    this.#abort.abort(new Error("consumer stopping"));
    await this.#inFlight;
    const client = this.#client;
    if (!client) return;
    // Drop acks still awaiting their PUBACK: a graceful end waits for them, and
    // a message left unacknowledged above blocks MQTT.js's incoming packets, so
    // they would never come. A lost ack only makes the agent resend.
    for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
    await client.endAsync(false);
    // MQTT.js closes its message stores with a setTimeout(0) after the stream ends;
    // let it run so that stop() leaves no timer behind.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }

  /** Handles one message until done; false when stopped before it was (do not acknowledge). */
  async #handle(topic: string, payload: Uint8Array): Promise<boolean> {
    const { handler, log } = this.#context;
    try {
      const outcome = await retryUntilDone(
        () => handler.handle({ source: "mqtt", topic, payload }),
        handlingRetryOptions(
          this.#abort.signal,
          this.#options,
          this.#context,
          "message handling failed; retrying",
          topic,
        ),
      );
      if ("ack" in outcome && outcome.ack) this.#sendAck(outcome.ack);
      return true;
    } catch (error) {
      // Only an abort (stop) or a bug gets here; either way the message stays
      // unacknowledged and the broker delivers it again.
      if (!this.#abort.signal.aborted) log.error("message handling failed", { topic, error });
      return false;
    }
  }

  /**
   * Publishes an end-to-end ack (QoS 1) without waiting for its PUBACK: a lost
   * ack only makes the agent resend, and the resend is deduplicated and acked.
   */
  #sendAck({ agent, ack }: AckToSend): void {
    const { metrics, log } = this.#context;
    const client = this.#client;
    // Never let MQTT.js queue acks while offline; the agent times out and resends.
    if (!client?.connected) return;
    try {
      client.publish(ackTopic(agent), Buffer.from(encodeAck(ack)), { qos: 1 }, (error) => {
        if (error) log.debug("ack publish failed", { agent, error });
      });
      metrics.acks.inc({ outcome: ack.outcome });
    } catch (error) {
      log.warn("ack publish failed", { agent, error });
    }
  }

  #clientOptions(): IClientOptions {
    const c = this.#config;
    return {
      protocolVersion: 4,
      clientId: c.client_id,
      clean: false,
      reconnectPeriod: this.#options.reconnectPeriodMs ?? 1000,
      connectTimeout: Math.min(c.connect_timeout_ms, 30_000),
      // The hub only receives; nothing of ours should wait in MQTT.js memory.
      queueQoSZero: false,
      ...mqttAuthTlsOptions(c, "mqtt"),
    };
  }
}
