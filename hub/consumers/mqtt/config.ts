/**
 * Configuration of the MQTT consumer: the `[mqtt]` section of the hub config.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import { bool, int, onlyKeys, str, table } from "../../config_values.ts";

/** The validated `[mqtt]` section. */
export interface MqttConsumerConfig {
  /** Broker to consume from; empty means the hub's embedded broker. @default "" */
  url: string;
  /** Fixed, so the broker keeps the session (clean: false) across restarts. @default "tributary-hub" */
  client_id: string;
  /** @default "" (none) */
  username: string;
  /** Overridden by the environment variable `TRIBUTARY_MQTT_PASSWORD` (in the hub config). @default "" */
  password: string;
  /** PEM file of the CA that signs the broker certificate. @default "" */
  tls_ca: string;
  /** PEM client certificate for mutual TLS; goes with `tls_key`. @default "" */
  tls_cert: string;
  /** PEM client key for mutual TLS; goes with `tls_cert`. @default "" */
  tls_key: string;
  /** @default true */
  tls_reject_unauthorized: boolean;
  /** How long `start()` waits for the first connection and subscription, in ms. @default 30000 */
  connect_timeout_ms: number;
}

/** The `[mqtt]` defaults. */
export function defaultMqttConfig(): MqttConsumerConfig {
  return {
    url: "",
    client_id: "tributary-hub",
    username: "",
    password: "",
    tls_ca: "",
    tls_cert: "",
    tls_key: "",
    tls_reject_unauthorized: true,
    connect_timeout_ms: 30_000,
  };
}

const URL_SCHEMES = ["mqtt:", "mqtts:", "tcp:", "ssl:", "ws:", "wss:"];

/**
 * Validates an `[mqtt]` table merged over {@linkcode defaultMqttConfig}.
 *
 * @throws {ConfigError} naming `<field>.<key>`, the value and what is allowed.
 */
export function validateMqttConfig(raw: unknown, field: string): MqttConsumerConfig {
  const d = defaultMqttConfig();
  const t = table(raw ?? {}, field);
  onlyKeys(t, field, Object.keys(d));
  const config: MqttConsumerConfig = {
    url: mqttUrl(t.url, `${field}.url`, d.url),
    client_id: str(t.client_id, `${field}.client_id`, d.client_id),
    username: str(t.username, `${field}.username`, d.username),
    password: str(t.password, `${field}.password`, d.password),
    tls_ca: str(t.tls_ca, `${field}.tls_ca`, d.tls_ca),
    tls_cert: str(t.tls_cert, `${field}.tls_cert`, d.tls_cert),
    tls_key: str(t.tls_key, `${field}.tls_key`, d.tls_key),
    tls_reject_unauthorized: bool(
      t.tls_reject_unauthorized,
      `${field}.tls_reject_unauthorized`,
      d.tls_reject_unauthorized,
    ),
    connect_timeout_ms: int(
      t.connect_timeout_ms,
      `${field}.connect_timeout_ms`,
      d.connect_timeout_ms,
      1,
    ),
  };
  // MQTT 3.1.1 guarantees brokers accept 1-23 characters; most accept more, so bound it loosely.
  if (config.client_id.length < 1 || config.client_id.length > 256) {
    throw new ConfigError(`${field}.client_id`, config.client_id, "1 to 256 characters");
  }
  if ((config.tls_cert === "") !== (config.tls_key === "")) {
    const missing = config.tls_cert === "" ? "tls_cert" : "tls_key";
    throw new ConfigError(`${field}.${missing}`, "", "set together with tls_cert and tls_key");
  }
  return config;
}

function mqttUrl(value: unknown, field: string, fallback: string): string {
  const text = str(value, field, fallback);
  if (text === "") return text;
  const allowed =
    `"" (embedded broker) or a URL mqtt://, mqtts://, tcp://, ssl://, ws:// or wss://`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(field, text, allowed);
  }
  if (!URL_SCHEMES.includes(url.protocol)) throw new ConfigError(field, text, allowed);
  return text;
}
