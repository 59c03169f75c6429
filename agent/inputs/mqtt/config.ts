/**
 * Config of the `mqtt` input: defaults and validation. Every option is
 * documented in README.md beside this file; sample.toml holds the defaults.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import {
  readBool,
  readChoice,
  readInt,
  readString,
  readTable,
  rejectUnknownKeys,
} from "@tributary/shared/config/fields";
import {
  defaultMqttConnection,
  type MqttConnectionOptions,
  readMqttConnection,
} from "@tributary/shared/mqtt/connection";
import { readSkewWindow, type SkewWindow } from "../processors/skew.ts";
import { PRECISION_NAMES } from "../http/config.ts";
import { parseTopicLevels } from "./topic_map.ts";

/** Payload formats. */
export const PAYLOAD_FORMATS = ["json", "line_protocol", "value"] as const;
/** One payload format. */
export type PayloadFormat = typeof PAYLOAD_FORMATS[number];

/** Config of an `mqtt` input. */
export interface MqttInputConfig extends MqttConnectionOptions, SkewWindow {
  /** Topic filters to subscribe to (`+` and `#` wildcards). @default ["sensors/#"] */
  topics: string[];
  /** Subscription QoS: 1 (acknowledged after buffering) or 0. @default 1 */
  qos: 0 | 1;
  /**
   * Keep the session at the broker across disconnects and restarts
   * (`clean: false`): messages published while the agent is down are queued
   * by the broker and delivered when it comes back. Needs a fixed `client_id`.
   * @default true
   */
  persistent_session: boolean;
  /** Payload format: "json", "line_protocol" or "value" (a bare number). @default "json" */
  format: PayloadFormat;
  /** Topic levels → fields, e.g. "_/sensor/metric" (see topic_map.ts). @default "_/sensor/metric" */
  topic_levels: string;
  /** Largest payload accepted, in bytes. @default 65536 */
  max_payload_bytes: number;
  /** Precision of numeric JSON `ts`. @default "ms" */
  json_precision: string;
  /** Line protocol only: a tag naming the sensor instead of the series key. @default "" */
  sensor_tag: string;
  /** MQTT keepalive, in seconds. @default 30 */
  keepalive_s: number;
  /** Wait between reconnect attempts, in ms. @default 1000 */
  reconnect_ms: number;
}

/** The `mqtt` input's options, for unknown-key errors. */
export const MQTT_INPUT_OPTIONS = [
  "type",
  "url",
  "client_id",
  "username",
  "password",
  "tls_ca",
  "tls_cert",
  "tls_key",
  "tls_reject_unauthorized",
  "topics",
  "qos",
  "persistent_session",
  "format",
  "topic_levels",
  "max_payload_bytes",
  "json_precision",
  "sensor_tag",
  "keepalive_s",
  "reconnect_ms",
  "max_future_s",
  "max_past_s",
] as const;

/** The defaults. `client_id` "" means `tributary-<agent>-<input id>` at start. */
export function defaultMqttInputConfig(): MqttInputConfig {
  return {
    ...defaultMqttConnection({ url: "mqtt://127.0.0.1:1883", client_id: "" }),
    topics: ["sensors/#"],
    qos: 1,
    persistent_session: true,
    format: "json",
    topic_levels: "_/sensor/metric",
    max_payload_bytes: 65_536,
    json_precision: "ms",
    sensor_tag: "",
    keepalive_s: 30,
    reconnect_ms: 1000,
    max_future_s: 300,
    max_past_s: 604_800,
  };
}

/**
 * Validates an `[[inputs]]` table of type `mqtt`.
 *
 * @throws {ConfigError} naming the field, the value and what is allowed.
 */
export function validateMqttInputConfig(raw: unknown, field: string): MqttInputConfig {
  const table = readTable(raw, field);
  rejectUnknownKeys(table, MQTT_INPUT_OPTIONS, field);
  const d = defaultMqttInputConfig();
  const topics = table.topics === undefined ? d.topics : table.topics;
  if (
    !Array.isArray(topics) || topics.length === 0 ||
    !topics.every((t) => typeof t === "string" && validFilter(t))
  ) {
    throw new ConfigError(
      `${field}.topics`,
      topics,
      'a non-empty list of MQTT topic filters, e.g. ["sensors/#"]',
    );
  }
  const format = readChoice(table.format, `${field}.format`, d.format, PAYLOAD_FORMATS);
  const topicLevels = readString(table.topic_levels, `${field}.topic_levels`, d.topic_levels);
  const map = parseTopicLevels(topicLevels, `${field}.topic_levels`);
  if (format === "value" && !(map.provides.includes("sensor") && map.provides.includes("metric"))) {
    throw new ConfigError(
      `${field}.topic_levels`,
      topicLevels,
      'levels naming both "sensor" and "metric" when format = "value"',
    );
  }
  return {
    ...readMqttConnection(table, field, d),
    topics: topics as string[],
    qos: readInt(table.qos, `${field}.qos`, d.qos, { min: 0, max: 1 }) as 0 | 1,
    persistent_session: readBool(
      table.persistent_session,
      `${field}.persistent_session`,
      d.persistent_session,
    ),
    format,
    topic_levels: topicLevels,
    max_payload_bytes: readInt(
      table.max_payload_bytes,
      `${field}.max_payload_bytes`,
      d.max_payload_bytes,
      { min: 16, max: 256 * 1024 * 1024 },
    ),
    json_precision: readChoice(
      table.json_precision,
      `${field}.json_precision`,
      d.json_precision,
      PRECISION_NAMES,
    ),
    sensor_tag: readString(table.sensor_tag, `${field}.sensor_tag`, d.sensor_tag),
    keepalive_s: readInt(table.keepalive_s, `${field}.keepalive_s`, d.keepalive_s, {
      min: 0,
      max: 65_535,
    }),
    reconnect_ms: readInt(table.reconnect_ms, `${field}.reconnect_ms`, d.reconnect_ms, {
      min: 10,
      max: 600_000,
    }),
    ...readSkewWindow(table, field),
  };
}

/** True for a valid MQTT topic filter: `#` only last, wildcards whole levels. */
function validFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes("\0")) return false;
  const levels = filter.split("/");
  return levels.every((level, i) =>
    (level === "#" ? i === levels.length - 1 : true) &&
    (level.includes("#") || level.includes("+") ? level.length === 1 : true)
  );
}
