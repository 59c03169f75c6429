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
import { defaultDeliveryConfig, type DeliveryConfig, readDeliveryConfig } from "../config.ts";

/**
 * Config of the MQTT transport (`[transport.mqtt]`): the shared connection
 * options (`url` defaults to "mqtt://127.0.0.1:1883"; `client_id` "" means
 * `tributary-agent-<agent id>`), the delivery options every transport has
 * ({@linkcode DeliveryConfig}; the send timeout waits for the PUBACK, and
 * `max_message_bytes` defaults to MQTT's own limit, 268435455, e.g. lower it
 * to match Mosquitto's `message_size_limit`) and the transport's own.
 */
export interface MqttConfig extends MqttConnectionOptions, DeliveryConfig {
  /** MQTT keepalive, in seconds. @default 30 */
  keepalive_s: number;
}

/** The MQTT packet length limit: 256 MiB - 1. */
export const MQTT_MAX_PACKET = 268_435_455;

/** The defaults of {@linkcode MqttConfig}. */
export function defaultMqttConfig(): MqttConfig {
  return {
    ...defaultMqttConnection({ url: "mqtt://127.0.0.1:1883", client_id: "" }),
    keepalive_s: 30,
    ...defaultDeliveryConfig(MQTT_MAX_PACKET),
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
  const config: MqttConfig = {
    ...readMqttConnection(t, field, d),
    keepalive_s: readInt(t.keepalive_s, `${field}.keepalive_s`, d.keepalive_s, {
      min: 0,
      max: 65_535,
    }),
    ...readDeliveryConfig(t, field, d, MQTT_MAX_PACKET),
  };
  if (config.client_id.length > 65_535) {
    throw new ConfigError(`${field}.client_id`, config.client_id, "at most 65535 characters");
  }
  return config;
}
