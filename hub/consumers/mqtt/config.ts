/**
 * Configuration of the MQTT consumer: the `[mqtt]` section of the hub config.
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
 * The validated `[mqtt]` section: the shared connection options and the
 * consumer's own. `url` defaults to "" (the hub's embedded broker);
 * `client_id` defaults to "tributary-hub", fixed so the broker keeps the
 * session (clean: false) across restarts.
 */
export interface MqttConsumerConfig extends MqttConnectionOptions {
  /** How long `start()` waits for the first connection and subscription, in ms. @default 30000 */
  connect_timeout_ms: number;
}

/** The `[mqtt]` defaults. */
export function defaultMqttConfig(): MqttConsumerConfig {
  return {
    ...defaultMqttConnection({ url: "", client_id: "tributary-hub" }),
    connect_timeout_ms: 30_000,
  };
}

/**
 * Validates an `[mqtt]` table merged over {@linkcode defaultMqttConfig}.
 *
 * @throws {ConfigError} naming `<field>.<key>`, the value and what is allowed.
 */
export function validateMqttConfig(raw: unknown, field: string): MqttConsumerConfig {
  const d = defaultMqttConfig();
  const t = readTable(raw, field);
  rejectUnknownKeys(t, Object.keys(d), field);
  const config: MqttConsumerConfig = {
    ...readMqttConnection(t, field, d, { emptyUrlMeans: "embedded broker" }),
    connect_timeout_ms: readInt(
      t.connect_timeout_ms,
      `${field}.connect_timeout_ms`,
      d.connect_timeout_ms,
      { min: 1 },
    ),
  };
  // MQTT 3.1.1 guarantees brokers accept 1-23 characters; most accept more, so bound it loosely.
  if (config.client_id.length < 1 || config.client_id.length > 256) {
    throw new ConfigError(`${field}.client_id`, config.client_id, "1 to 256 characters");
  }
  return config;
}
