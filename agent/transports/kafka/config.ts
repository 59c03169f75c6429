/**
 * Options of the Kafka transport (`[transport.kafka]`) and their validation.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import { readChoice, readInt, readTable, rejectUnknownKeys } from "@tributary/shared/config/fields";
import {
  defaultKafkaConnection,
  KAFKA_CONNECTION_KEYS,
  type KafkaConnectionOptions,
  readKafkaConnection,
} from "@tributary/shared/kafka/connection";

/**
 * What confirms a send: `hub`, the hub's end-to-end ack on `<prefix>.acks`
 * after its commit (rows are retired only once stored), or `broker`, the
 * broker's acknowledgement with acks=all.
 */
export type KafkaAckMode = "hub" | "broker";

/** The values of {@linkcode KafkaAckMode}. */
export const KAFKA_ACK_MODES: readonly KafkaAckMode[] = ["hub", "broker"];

/**
 * Config of the Kafka transport: the shared connection options (`brokers`
 * defaults to `["127.0.0.1:9092"]`; `client_id` "" means
 * `tributary-agent-<agent id>`) and the transport's own.
 */
export interface KafkaTransportConfig extends KafkaConnectionOptions {
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
   * larger than this; match the broker's `message.max.bytes` (default about 1 MB).
   * @default 1000000
   */
  max_message_bytes: number;
  /** What confirms a send. @default "hub" */
  ack: KafkaAckMode;
  /** With `ack = "hub"`: fail a send (retryably) whose hub ack has not come this many ms after the broker's. @default 30000 */
  ack_timeout_ms: number;
}

/** The defaults of {@linkcode KafkaTransportConfig}. */
export function defaultKafkaTransportConfig(): KafkaTransportConfig {
  return {
    ...defaultKafkaConnection(["127.0.0.1:9092"]),
    connect_timeout_ms: 10_000,
    send_timeout_ms: 30_000,
    reconnect_initial_ms: 500,
    reconnect_max_ms: 30_000,
    max_message_bytes: 1_000_000,
    ack: "hub",
    ack_timeout_ms: 30_000,
  };
}

/**
 * Validates `[transport.kafka]` merged over the defaults.
 *
 * @throws {ConfigError} naming the field, value and what is allowed.
 */
export function validateKafkaTransportConfig(raw: unknown, field: string): KafkaTransportConfig {
  const d = defaultKafkaTransportConfig();
  const t = readTable(raw, field);
  rejectUnknownKeys(t, Object.keys(d), field);
  const f = (key: keyof KafkaTransportConfig) => `${field}.${key}`;
  const ms = (key: keyof KafkaTransportConfig, min: number, max: number) =>
    readInt(t[key], f(key), d[key] as number, { min, max });
  const config: KafkaTransportConfig = {
    ...readKafkaConnection(t, field, d),
    connect_timeout_ms: ms("connect_timeout_ms", 100, 600_000),
    send_timeout_ms: ms("send_timeout_ms", 100, 600_000),
    reconnect_initial_ms: ms("reconnect_initial_ms", 1, 600_000),
    reconnect_max_ms: ms("reconnect_max_ms", 1, 3_600_000),
    max_message_bytes: ms("max_message_bytes", 64, 1_073_741_824),
    ack: readChoice(t.ack, f("ack"), d.ack, KAFKA_ACK_MODES),
    ack_timeout_ms: ms("ack_timeout_ms", 100, 3_600_000),
  };
  if (config.reconnect_max_ms < config.reconnect_initial_ms) {
    throw new ConfigError(
      f("reconnect_max_ms"),
      config.reconnect_max_ms,
      `at least reconnect_initial_ms (${config.reconnect_initial_ms})`,
    );
  }
  return config;
}

/** Keys of the shared connection part (documentation and tests). */
export const KAFKA_TRANSPORT_CONNECTION_KEYS = KAFKA_CONNECTION_KEYS;
