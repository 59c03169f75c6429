/**
 * Configuration of the Kafka consumer: the `[kafka]` section of the hub
 * config. An empty `brokers` list (the default) turns Kafka off.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import { readTable, rejectUnknownKeys, tableReader } from "@tributary/shared/config/fields";
import {
  defaultKafkaConnection,
  type KafkaConnectionOptions,
  readKafkaConnection,
} from "@tributary/shared/kafka/connection";

/**
 * The validated `[kafka]` section: the shared connection options (`brokers`
 * default `[]`, Kafka off; `client_id` "" means `tributary-hub`) and the
 * consumer's own.
 */
export interface KafkaConsumerConfig extends KafkaConnectionOptions {
  /** The consumer group; hubs sharing it split the partitions. @default "tributary-hub" */
  group_id: string;
  /** Create the batch, ack and heartbeat topics at start if missing. @default true */
  create_topics: boolean;
  /** Partitions of topics created at start. @default 12 */
  partitions: number;
  /** Replication factor of topics created at start; -1 = the broker's default. @default -1 */
  replication_factor: number;
  /** Group session timeout: a hub silent this long loses its partitions, in ms. @default 10000 */
  session_timeout_ms: number;
  /** How long `start()` waits to join the group, in ms. @default 30000 */
  connect_timeout_ms: number;
}

/** The `[kafka]` defaults. */
export function defaultKafkaConsumerConfig(): KafkaConsumerConfig {
  return {
    ...defaultKafkaConnection([]),
    group_id: "tributary-hub",
    create_topics: true,
    partitions: 12,
    replication_factor: -1,
    session_timeout_ms: 10_000,
    connect_timeout_ms: 30_000,
  };
}

/**
 * Validates a `[kafka]` table merged over {@linkcode defaultKafkaConsumerConfig}.
 *
 * @throws {ConfigError} naming `<field>.<key>`, the value and what is allowed.
 */
export function validateKafkaConsumerConfig(raw: unknown, field: string): KafkaConsumerConfig {
  const d = defaultKafkaConsumerConfig();
  const t = readTable(raw, field);
  rejectUnknownKeys(t, Object.keys(d), field);
  const r = tableReader(t, field, d);
  const config: KafkaConsumerConfig = {
    ...readKafkaConnection(t, field, d, { allowNoBrokers: true }),
    group_id: r.string("group_id", { nonEmpty: true }),
    create_topics: r.bool("create_topics"),
    partitions: r.int("partitions", { min: 1, max: 10_000 }),
    replication_factor: r.int("replication_factor", { min: -1, max: 100 }),
    session_timeout_ms: r.int("session_timeout_ms", { min: 1_000, max: 600_000 }),
    connect_timeout_ms: r.int("connect_timeout_ms", { min: 100 }),
  };
  if (config.replication_factor === 0) {
    throw new ConfigError(r.path("replication_factor"), 0, "-1 (broker default) or 1 to 100");
  }
  if (config.group_id.length > 249) {
    throw new ConfigError(r.path("group_id"), config.group_id, "at most 249 characters");
  }
  return config;
}
