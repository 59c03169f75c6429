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
 * @module
 */
import { Buffer } from "node:buffer";
import mqtt, { DefaultMessageIdProvider, type IClientOptions, type MqttClient } from "mqtt";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { mqttAuthTlsOptions } from "@tributary/shared/mqtt/connection";
import { batchTopic } from "@tributary/shared/topics";
import { backoffDelay } from "../../backoff.ts";
import type { OutgoingBatch, Transport, TransportContext, TransportFactory } from "../transport.ts";
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
  messageId: number | undefined;
  timer: ReturnType<typeof setTimeout>;
  settle(error?: Error): void;
}

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
  #client: MqttClient | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #stopped = false;

  constructor(config: MqttConfig, ctx: TransportContext) {
    this.#config = config;
    this.#ctx = ctx;
  }

  /** True while connected to the broker. */
  get connected(): boolean {
    return this.#client?.connected === true;
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
    client.on("connect", () => {
      this.#attempt = 0;
      this.#ctx.log.info("mqtt connected", { url: c.url });
    });
    client.on("error", (error) => {
      this.#ctx.log.warn("mqtt error", { url: c.url, error });
    });
    client.on("close", () => this.#onClose());
    return Promise.resolve();
  }

  send(message: OutgoingBatch): Promise<void> {
    const client = this.#client;
    if (this.#stopped) {
      return Promise.reject(new RetryableError("stopped", "mqtt transport is stopped"));
    }
    if (message.bytes.byteLength > this.#config.max_message_bytes) {
      return Promise.reject(
        new PermanentError(
          "too_large",
          `message of ${message.bytes.byteLength} bytes exceeds transport.mqtt.max_message_bytes (${this.#config.max_message_bytes})`,
        ),
      );
    }
    if (client === undefined || !client.connected) {
      return Promise.reject(
        new RetryableError("disconnected", `not connected to ${this.#config.url}`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const pending: PendingSend = {
        messageId: undefined,
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
          if (error) reject(error);
          else resolve();
        },
      };
      this.#pending.add(pending);
      const before = this.#ids.allocations;
      const payload = Buffer.from(
        message.bytes.buffer,
        message.bytes.byteOffset,
        message.bytes.byteLength,
      );
      client.publish(batchTopic(message.agent, message.stream), payload, { qos: 1 }, (error) => {
        pending.settle(
          error
            ? new RetryableError("disconnected", `publish failed: ${error.message}`, {
              cause: error,
            })
            : undefined,
        );
      });
      if (this.#ids.allocations !== before) pending.messageId = this.#ids.getLastAllocated();
    });
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

  #onClose(): void {
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
