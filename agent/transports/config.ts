/**
 * The delivery options every transport has (`[transport.mqtt]`,
 * `[transport.kafka]`, ...) besides its connection options: how long to wait,
 * how to reconnect, how large a message may be, and what confirms a send.
 * Each transport's config extends {@linkcode DeliveryConfig} and reads these
 * keys with {@linkcode readDeliveryConfig}.
 *
 * @module
 */
import { ConfigError, PermanentError } from "@tributary/shared/errors";
import { type Table, tableReader } from "@tributary/shared/config/fields";

/**
 * What confirms a send: `hub`, the hub's end-to-end ack after its commit
 * (rows are retired only once stored), or `broker`, the broker's
 * acknowledgement (MQTT PUBACK, Kafka acks=all).
 */
export type AckMode = "hub" | "broker";

/** The values of {@linkcode AckMode}. */
export const ACK_MODES: readonly AckMode[] = ["hub", "broker"];

/** The delivery options shared by every transport. */
export interface DeliveryConfig {
  /** Give up a connection attempt after this many ms. @default 10000 */
  connect_timeout_ms: number;
  /** Fail a send the broker has not acknowledged after this many ms. @default 30000 */
  send_timeout_ms: number;
  /** First reconnect wait cap, in ms (then doubling, full jitter). @default 500 */
  reconnect_initial_ms: number;
  /** Largest reconnect wait, in ms. @default 30000 */
  reconnect_max_ms: number;
  /**
   * Refuse (as a permanent error, so the shipper splits the batch) messages
   * larger than this many bytes; match the broker's limit. The default is
   * the transport's own.
   */
  max_message_bytes: number;
  /** What confirms a send. @default "hub" */
  ack: AckMode;
  /**
   * With `ack = "hub"`: fail a send (retryably) whose hub ack has not come
   * this many ms after the broker's acknowledgement. @default 30000
   */
  ack_timeout_ms: number;
}

/** The defaults of {@linkcode DeliveryConfig}, with the transport's `max_message_bytes`. */
export function defaultDeliveryConfig(maxMessageBytes: number): DeliveryConfig {
  return {
    connect_timeout_ms: 10_000,
    send_timeout_ms: 30_000,
    reconnect_initial_ms: 500,
    reconnect_max_ms: 30_000,
    max_message_bytes: maxMessageBytes,
    ack: "hub",
    ack_timeout_ms: 30_000,
  };
}

/**
 * Reads the delivery options of a transport's table `t` (path `field`) over
 * `defaults`; `max_message_bytes` may be at most `maxMessageBytesLimit`.
 *
 * @throws {ConfigError} naming the field, value and what is allowed, also when
 * `reconnect_max_ms` is below `reconnect_initial_ms`.
 * @example
 * ```ts
 * const delivery = readDeliveryConfig(table, "transport.mqtt", d, MQTT_MAX_PACKET);
 * ```
 */
export function readDeliveryConfig(
  t: Table,
  field: string,
  defaults: DeliveryConfig,
  maxMessageBytesLimit: number,
): DeliveryConfig {
  const r = tableReader(t, field, defaults);
  const config: DeliveryConfig = {
    connect_timeout_ms: r.int("connect_timeout_ms", { min: 100, max: 600_000 }),
    send_timeout_ms: r.int("send_timeout_ms", { min: 100, max: 600_000 }),
    reconnect_initial_ms: r.int("reconnect_initial_ms", { min: 1, max: 600_000 }),
    reconnect_max_ms: r.int("reconnect_max_ms", { min: 1, max: 3_600_000 }),
    max_message_bytes: r.int("max_message_bytes", { min: 64, max: maxMessageBytesLimit }),
    ack: r.choice("ack", ACK_MODES),
    ack_timeout_ms: r.int("ack_timeout_ms", { min: 100, max: 3_600_000 }),
  };
  if (config.reconnect_max_ms < config.reconnect_initial_ms) {
    throw new ConfigError(
      r.path("reconnect_max_ms"),
      config.reconnect_max_ms,
      `at least reconnect_initial_ms (${config.reconnect_initial_ms})`,
    );
  }
  return config;
}

/**
 * The error a send of `bytes` fails with when it exceeds the transport's
 * `max_message_bytes` (permanent: the shipper splits the batch), or
 * `undefined` when it fits. `field` is the transport's section, e.g.
 * `transport.mqtt`.
 */
export function oversizeError(
  bytes: Uint8Array,
  field: string,
  config: Pick<DeliveryConfig, "max_message_bytes">,
): PermanentError | undefined {
  if (bytes.byteLength <= config.max_message_bytes) return undefined;
  return new PermanentError(
    "too_large",
    `message of ${bytes.byteLength} bytes exceeds ${field}.max_message_bytes (${config.max_message_bytes})`,
  );
}
