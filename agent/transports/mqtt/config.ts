/**
 * Options of the MQTT transport and their validation.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import { readChoice, readInt, readTable, rejectUnknownKeys } from "@tributary/shared/config/fields";
import {
  defaultMqttConnection,
  type MqttConnectionOptions,
  readMqttConnection,
} from "@tributary/shared/mqtt/connection";

/**
 * What confirms a send: `hub`, the hub's end-to-end ack after its commit
 * (rows are retired only once stored), or `broker`, the broker's PUBACK.
 */
export type MqttAckMode = "hub" | "broker";

/** The values of {@linkcode MqttAckMode}. */
export const MQTT_ACK_MODES: readonly MqttAckMode[] = ["hub", "broker"];

/**
 * Config of the MQTT transport (`[transport.mqtt]`): the shared connection
 * options (`url` defaults to "mqtt://127.0.0.1:1883"; `client_id` "" means
 * `tributary-agent-<agent id>`) and the transport's own.
 */
export interface MqttConfig extends MqttConnectionOptions {
  /** MQTT keepalive, in seconds. @default 30 */
  keepalive_s: number;
  /** Give up a connection attempt after this many ms. @default 10000 */
  connect_timeout_ms: number;
  /** Fail a send whose PUBACK has not come after this many ms. @default 30000 */
  send_timeout_ms: number;
  /** First reconnect wait cap, in ms (then doubling, full jitter). @default 500 */
  reconnect_initial_ms: number;
  /** Largest reconnect wait, in ms. @default 30000 */
  reconnect_max_ms: number;
  /**
   * Refuse (as a permanent error) messages larger than this many bytes, e.g.
   * to match Mosquitto's `message_size_limit`. MQTT's own limit is 268435455.
   * @default 268435455
   */
  max_message_bytes: number;
  /** What confirms a send: the hub's ack after commit, or the broker's PUBACK. @default "hub" */
  ack: MqttAckMode;
  /** With `ack = "hub"`: fail a send (retryably) whose hub ack has not come this many ms after the PUBACK. @default 30000 */
  ack_timeout_ms: number;
}

/** The MQTT packet length limit: 256 MiB - 1. */
export const MQTT_MAX_PACKET = 268_435_455;

/** The defaults of {@linkcode MqttConfig}. */
export function defaultMqttConfig(): MqttConfig {
  return {
    ...defaultMqttConnection({ url: "mqtt://127.0.0.1:1883", client_id: "" }),
    keepalive_s: 30,
    connect_timeout_ms: 10_000,
    send_timeout_ms: 30_000,
    reconnect_initial_ms: 500,
    reconnect_max_ms: 30_000,
    max_message_bytes: MQTT_MAX_PACKET,
    ack: "hub",
    ack_timeout_ms: 30_000,
  };
}

/**
 * Validates `[transport.mqtt]` merged over the defaults.
 *
 * @throws {ConfigError} naming the field, value and what is allowed.
 */
export function validateMqttConfig(raw: unknown, field: string): MqttConfig {
  const d = defaultMqttConfig();
  const t = readTable(raw, field);
  rejectUnknownKeys(t, Object.keys(d), field);
  const f = (key: keyof MqttConfig) => `${field}.${key}`;
  const config: MqttConfig = {
    ...readMqttConnection(t, field, d),
    keepalive_s: readInt(t.keepalive_s, f("keepalive_s"), d.keepalive_s, { min: 0, max: 65_535 }),
    connect_timeout_ms: readInt(
      t.connect_timeout_ms,
      f("connect_timeout_ms"),
      d.connect_timeout_ms,
      { min: 100, max: 600_000 },
    ),
    send_timeout_ms: readInt(t.send_timeout_ms, f("send_timeout_ms"), d.send_timeout_ms, {
      min: 100,
      max: 600_000,
    }),
    reconnect_initial_ms: readInt(
      t.reconnect_initial_ms,
      f("reconnect_initial_ms"),
      d.reconnect_initial_ms,
      { min: 1, max: 600_000 },
    ),
    reconnect_max_ms: readInt(t.reconnect_max_ms, f("reconnect_max_ms"), d.reconnect_max_ms, {
      min: 1,
      max: 3_600_000,
    }),
    max_message_bytes: readInt(t.max_message_bytes, f("max_message_bytes"), d.max_message_bytes, {
      min: 64,
      max: MQTT_MAX_PACKET,
    }),
    ack: readChoice(t.ack, f("ack"), d.ack, MQTT_ACK_MODES),
    ack_timeout_ms: readInt(t.ack_timeout_ms, f("ack_timeout_ms"), d.ack_timeout_ms, {
      min: 100,
      max: 3_600_000,
    }),
  };
  if (config.client_id.length > 65_535) {
    throw new ConfigError(f("client_id"), config.client_id, "at most 65535 characters");
  }
  if (config.reconnect_max_ms < config.reconnect_initial_ms) {
    throw new ConfigError(
      f("reconnect_max_ms"),
      config.reconnect_max_ms,
      `at least reconnect_initial_ms (${config.reconnect_initial_ms})`,
    );
  }
  return config;
}
