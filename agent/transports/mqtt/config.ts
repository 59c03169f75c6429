/**
 * Options of the MQTT transport and their validation.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import { readInt, readTable, rejectUnknownKeys } from "@tributary/shared/config/fields";
import {
  defaultMqttConnection,
  type MqttConnectionOptions,
  readMqttConnection,
} from "@tributary/shared/mqtt/connection";

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
