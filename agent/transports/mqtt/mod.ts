/**
 * The MQTT transport: MQTT.js speaking 3.1.1 (protocolVersion 4, so it also
 * works against the hub's embedded aedes broker), QoS 1 to
 * `tributary/v1/<agent>/<stream>`, TLS and username/password, reconnect with
 * exponential backoff and full jitter.
 *
 * MQTT.js would keep QoS 1 messages in memory while offline (unbounded); this
 * transport never lets it: a send while disconnected is refused at once with a
 * `RetryableError`, and sends awaiting PUBACK when the connection drops are
 * removed from MQTT.js's store and rejected. The agent's DuckDB buffer is the
 * only store; the shipper resends and the hub dedups.
 *
 * Confirmation (`ack`): with `"hub"` (the default) the transport subscribes to
 * `tributary/v1/<agent>/ack` and a send resolves only when the hub's ack for
 * the same (stream, first_seq, last_seq) arrives, i.e. after the hub's commit;
 * a `rejected` ack fails it with `BatchRejectedError`; no ack within
 * `ack_timeout_ms` of the PUBACK fails it retryably. Acks for nothing pending
 * (late, twice) are ignored and counted. With `"broker"` a send resolves on
 * the broker's PUBACK.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import mqtt, { DefaultMessageIdProvider, type IClientOptions, type MqttClient } from "mqtt";
import { RetryableError } from "@tributary/shared/errors";
import { mqttAuthTlsOptions } from "@tributary/shared/mqtt/connection";
import { ackTopic, batchTopic, heartbeatTopic } from "@tributary/shared/topics";
import { backoffDelay } from "../../backoff.ts";
import type { OutgoingBatch, Transport, TransportContext, TransportFactory } from "../transport.ts";
import { oversizeError } from "../config.ts";
import { ackKey, awaitHubAck, type HubAckCounters, HubAckWaiters } from "../hub_acks.ts";
import { defaultMqttConfig, type MqttConfig, validateMqttConfig } from "./config.ts";

export {
  defaultMqttConfig,
  MQTT_MAX_PACKET,
  type MqttConfig,
  validateMqttConfig,
} from "./config.ts";

/** Remembers whether publish allocated a message id synchronously, and which. */
class TrackingIdProvider extends DefaultMessageIdProvider {
  allocations = 0;
  override allocate(): number {
    const id = super.allocate();
    this.allocations++;
    return id;
  }
}

interface PendingSend {
  /** The MQTT message id while MQTT.js holds the message (until PUBACK). */
  messageId: number | undefined;
  /** `stream/first/last`, the key hub acks are matched on (hub mode). */
  key: string;
  timer: ReturnType<typeof setTimeout>;
  settle(error?: Error): void;
}

/** Counters of the hub acks a transport received (invalid: payloads on the ack topic that are not an ack). */
export type MqttAckCounters = HubAckCounters;

/** The MQTT transport factory (`[transport] type = "mqtt"`). */
export const mqttTransport: TransportFactory<MqttConfig> = {
  type: "mqtt",
  defaultConfig: defaultMqttConfig,
  validate: validateMqttConfig,
  create: (config, ctx) => new MqttTransport(config, ctx),
};

/** A transport publishing batches over MQTT. */
export class MqttTransport implements Transport {
  readonly #config: MqttConfig;
  readonly #ctx: TransportContext;
  readonly #ids = new TrackingIdProvider();
  readonly #pending = new Set<PendingSend>();
  /** Sends awaiting the hub's ack (hub mode), and the counters of acks received. */
  readonly #hubAcks = new HubAckWaiters<PendingSend>();
  /** Hub mode: the ack subscription is granted on the current connection. */
  #subscribed = false;
  #client: MqttClient | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  /** The error message already warned about since the last connect; repeats go to debug. */
  #warnedError: string | undefined;
  #stopped = false;

  constructor(config: MqttConfig, ctx: TransportContext) {
    this.#config = config;
    this.#ctx = ctx;
  }

  /** True while connected to the broker (and, in hub mode, subscribed to the ack topic). */
  get connected(): boolean {
    return this.#client?.connected === true && (this.#config.ack === "broker" || this.#subscribed);
  }

  /** Counters of hub acks received, as a snapshot. */
  ackCounters(): MqttAckCounters {
    return this.#hubAcks.counters();
  }

  /**
   * Starts connecting and resolves at once: the agent runs (and buffers)
   * while the broker is away.
   *
   * @throws {ConfigError} when a TLS file cannot be read.
   */
  start(): Promise<void> {
    if (this.#client !== undefined || this.#stopped) return Promise.resolve();
    const c = this.#config;
    const options: IClientOptions = {
      protocolVersion: 4,
      clientId: c.client_id || `tributary-agent-${this.#ctx.agent}`,
      clean: true,
      keepalive: c.keepalive_s,
      connectTimeout: c.connect_timeout_ms,
      // Reconnects are ours (backoff with jitter); MQTT.js would retry at a fixed period.
      reconnectPeriod: 0,
      queueQoSZero: false,
      messageIdProvider: this.#ids,
      ...mqttAuthTlsOptions(c, "transport.mqtt"),
    };
    const client = mqtt.connect(c.url, options);
    this.#client = client;
    const hubAcks = c.ack === "hub";
    // Attached before the connection completes (PITFALLS): no ack may arrive unhandled.
    if (hubAcks) client.on("message", (topic, payload) => this.#onAck(topic, payload));
    client.on("connect", () => {
      this.#attempt = 0;
      this.#warnedError = undefined;
      this.#ctx.log.info("mqtt connected", { url: c.url });
      if (!hubAcks) return;
      // Clean session: subscribe on every connect.
      const topic = ackTopic(this.#ctx.agent);
      client.subscribe(topic, { qos: 1 }, (error, granted) => {
        if (error || granted?.some((g) => g.qos > 2)) {
          this.#ctx.log.error("mqtt ack subscription failed; sends wait", {
            topic,
            error,
            granted,
          });
          return;
        }
        if (client.connected) this.#subscribed = true;
      });
    });
    client.on("error", (error) => {
      // Every reconnect attempt of an outage fails alike: warn once per
      // outage (and per new error), the repeats at debug.
      const level = error.message === this.#warnedError ? "debug" : "warn";
      this.#warnedError = error.message;
      this.#ctx.log[level]("mqtt error", { url: c.url, error });
    });
    client.on("close", () => this.#onClose());
    return Promise.resolve();
  }

  send(message: OutgoingBatch): Promise<void> {
    const client = this.#client;
    if (this.#stopped) {
      return Promise.reject(new RetryableError("stopped", "mqtt transport is stopped"));
    }
    const oversize = oversizeError(message.bytes, "transport.mqtt", this.#config);
    if (oversize) return Promise.reject(oversize);
    if (client === undefined || !this.connected) {
      return Promise.reject(
        new RetryableError("disconnected", `not connected to ${this.#config.url}`),
      );
    }
    const hubAcks = this.#config.ack === "hub";
    const key = ackKey(message.stream, message.firstSeq, message.lastSeq);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const pending: PendingSend = {
        messageId: undefined,
        key,
        timer: setTimeout(() => {
          pending.settle(
            new RetryableError("timeout", `no PUBACK within ${this.#config.send_timeout_ms} ms`),
          );
          this.#forget(pending);
        }, this.#config.send_timeout_ms),
        settle: (error) => {
          if (settled) return;
          settled = true;
          clearTimeout(pending.timer);
          this.#pending.delete(pending);
          this.#hubAcks.forget(pending.key, pending);
          if (error) reject(error);
          else resolve();
        },
      };
      this.#pending.add(pending);
      if (hubAcks) this.#hubAcks.wait(key, pending);
      const before = this.#ids.allocations;
      const payload = Buffer.from(
        message.bytes.buffer,
        message.bytes.byteOffset,
        message.bytes.byteLength,
      );
      client.publish(batchTopic(message.agent, message.stream), payload, { qos: 1 }, (error) => {
        if (error) {
          pending.settle(
            new RetryableError("disconnected", `publish failed: ${error.message}`, {
              cause: error,
            }),
          );
          return;
        }
        // PUBACK: MQTT.js no longer holds the message, and its id may be reused.
        pending.messageId = undefined;
        if (!hubAcks) return pending.settle();
        if (settled) return;
        awaitHubAck(pending, this.#config.ack_timeout_ms, this.#ctx.log, "the PUBACK");
      });
      if (this.#ids.allocations !== before) pending.messageId = this.#ids.getLastAllocated();
    });
  }

  /**
   * Publishes a heartbeat with QoS 0 to `tributary/v1/<agent>/heartbeat`: it
   * is superseded by the next one within seconds, so neither the broker nor
   * MQTT.js should store, resend or wait for it. False when not connected.
   */
  publishHeartbeat(payload: Uint8Array): boolean {
    const client = this.#client;
    if (this.#stopped || client === undefined || !client.connected) return false;
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    client.publish(heartbeatTopic(this.#ctx.agent), bytes, { qos: 0 }, (error) => {
      if (error) this.#ctx.log.debug("heartbeat publish failed", { error });
    });
    return true;
  }

  /**
   * Rejects sends still waiting, disconnects and stops reconnecting.
   * Idempotent; safe before start.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    for (const p of [...this.#pending]) {
      p.settle(new RetryableError("stopped", "mqtt transport stopped"));
      this.#forget(p);
    }
    const client = this.#client;
    if (client === undefined) return;
    await new Promise<void>((resolve) => {
      // A graceful end sends DISCONNECT; against a dead broker, force it after a moment.
      const force = setTimeout(() => client.end(true, {}, () => resolve()), 2000);
      client.end(!client.connected, {}, () => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /** Settles the sends a hub ack names; ignores (and counts) anything else. */
  #onAck(topic: string, payload: Uint8Array): void {
    if (topic !== ackTopic(this.#ctx.agent)) return;
    this.#hubAcks.receive(payload, this.#ctx.log, { topic });
  }

  #onClose(): void {
    this.#subscribed = false;
    for (const p of [...this.#pending]) {
      p.settle(new RetryableError("disconnected", `connection to ${this.#config.url} closed`));
      this.#forget(p);
    }
    if (this.#stopped || this.#reconnectTimer !== undefined) return;
    const delay = backoffDelay(this.#attempt++, {
      initialMs: this.#config.reconnect_initial_ms,
      maxMs: this.#config.reconnect_max_ms,
    });
    this.#ctx.log.debug("mqtt reconnect scheduled", { delay_ms: delay });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (!this.#stopped) this.#client?.reconnect();
    }, delay);
  }

  /** Drops a settled send from MQTT.js's store so it is neither kept nor resent. */
  #forget(pending: PendingSend): void {
    if (pending.messageId !== undefined) this.#client?.removeOutgoingMessage(pending.messageId);
  }
}
