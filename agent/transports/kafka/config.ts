/**
 * Options of the Kafka transport (`[transport.kafka]`) and their validation.
 *
 * @module
 */
import { readTable, rejectUnknownKeys } from "@tributary/shared/config/fields";
import {
  defaultKafkaConnection,
  KAFKA_CONNECTION_KEYS,
  type KafkaConnectionOptions,
  readKafkaConnection,
} from "@tributary/shared/kafka/connection";
import { defaultDeliveryConfig, type DeliveryConfig, readDeliveryConfig } from "../config.ts";

/** The largest `max_message_bytes` accepted: 1 GiB. */
const KAFKA_MAX_MESSAGE_LIMIT = 1_073_741_824;

/**
 * Config of the Kafka transport: the shared connection options (`brokers`
 * defaults to `["127.0.0.1:9092"]`; `client_id` "" means
 * `tributary-agent-<agent id>`) and the delivery options every transport has
 * ({@linkcode DeliveryConfig}; `max_message_bytes` defaults to 1000000, about
 * the broker's `message.max.bytes`; match it).
 */
export interface KafkaTransportConfig extends KafkaConnectionOptions, DeliveryConfig {}

/** The defaults of {@linkcode KafkaTransportConfig}. */
export function defaultKafkaTransportConfig(): KafkaTransportConfig {
  return {
    ...defaultKafkaConnection(["127.0.0.1:9092"]),
    ...defaultDeliveryConfig(1_000_000),
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
  return {
    ...readKafkaConnection(t, field, d),
    ...readDeliveryConfig(t, field, d, KAFKA_MAX_MESSAGE_LIMIT),
  };
}

/** Keys of the shared connection part (documentation and tests). */
export const KAFKA_TRANSPORT_CONNECTION_KEYS = KAFKA_CONNECTION_KEYS;
