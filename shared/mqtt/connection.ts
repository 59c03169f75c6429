/**
 * The MQTT connection options the agent's transport and the hub's consumer
 * share: broker URL, client id, credentials and TLS. Each side embeds them in
 * its own config table, adds its own options and picks its own defaults for
 * `url` and `client_id`.
 *
 * @example
 * ```ts
 * const defaults = defaultMqttConnection({ url: "mqtt://127.0.0.1:1883", client_id: "" });
 * const connection = readMqttConnection(table, "transport.mqtt", defaults);
 * const client = mqtt.connect(connection.url, {
 *   ...mqttAuthTlsOptions(connection, "transport.mqtt"),
 *   protocolVersion: 4,
 * });
 * ```
 *
 * @module
 */
import type { IClientOptions } from "mqtt";
import { ConfigError } from "@tributary/shared/errors";
import { readBool, readString, type Table } from "@tributary/shared/config/fields";

/** The name of the environment variable that overrides `password`. */
export const MQTT_PASSWORD_ENV = "TRIBUTARY_MQTT_PASSWORD";

/** Where and how to connect to an MQTT broker. */
export interface MqttConnectionOptions {
  /** Broker URL: mqtt://, mqtts://, tcp://, ssl://, ws:// or wss://. Each side sets its default. */
  url: string;
  /** MQTT client id. Each side sets its default. */
  client_id: string;
  /** "" for none. @default "" */
  username: string;
  /** "" for none; the environment variable TRIBUTARY_MQTT_PASSWORD overrides it. @default "" */
  password: string;
  /** Path of a PEM CA bundle that signs the broker certificate; "" for the system's. @default "" */
  tls_ca: string;
  /** Path of a PEM client certificate for mutual TLS; goes with `tls_key`. @default "" */
  tls_cert: string;
  /** Path of the PEM key of `tls_cert`; goes with `tls_cert`. @default "" */
  tls_key: string;
  /** Refuse brokers whose certificate does not verify. @default true */
  tls_reject_unauthorized: boolean;
}

/**
 * The defaults of {@linkcode MqttConnectionOptions}, with the side's own
 * `url` and `client_id`.
 */
export function defaultMqttConnection(
  own: Pick<MqttConnectionOptions, "url" | "client_id">,
): MqttConnectionOptions {
  return {
    url: own.url,
    client_id: own.client_id,
    username: "",
    password: "",
    tls_ca: "",
    tls_cert: "",
    tls_key: "",
    tls_reject_unauthorized: true,
  };
}

/** Options of {@linkcode readMqttConnection}. */
export interface ReadMqttConnectionOptions {
  /**
   * What an empty `url` means (e.g. "embedded broker"); when unset, an empty
   * `url` is refused.
   */
  emptyUrlMeans?: string;
}

const URL_SCHEMES = ["mqtt:", "mqtts:", "tcp:", "ssl:", "ws:", "wss:"];

/**
 * Reads the connection options from `table` (a config table that may hold
 * other options too; refusing unknown keys is the caller's job), filling in
 * `defaults`.
 *
 * @throws {ConfigError} naming `<field>.<key>` when the URL is not an MQTT URL
 * with a host, a value has the wrong type, or only one of `tls_cert` and
 * `tls_key` is set.
 */
export function readMqttConnection(
  table: Table,
  field: string,
  defaults: MqttConnectionOptions,
  options: ReadMqttConnectionOptions = {},
): MqttConnectionOptions {
  const f = (key: keyof MqttConnectionOptions) => `${field}.${key}`;
  const config: MqttConnectionOptions = {
    url: readMqttUrl(table.url, f("url"), defaults.url, options.emptyUrlMeans),
    client_id: readString(table.client_id, f("client_id"), defaults.client_id),
    username: readString(table.username, f("username"), defaults.username),
    password: readString(table.password, f("password"), defaults.password),
    tls_ca: readString(table.tls_ca, f("tls_ca"), defaults.tls_ca),
    tls_cert: readString(table.tls_cert, f("tls_cert"), defaults.tls_cert),
    tls_key: readString(table.tls_key, f("tls_key"), defaults.tls_key),
    tls_reject_unauthorized: readBool(
      table.tls_reject_unauthorized,
      f("tls_reject_unauthorized"),
      defaults.tls_reject_unauthorized,
    ),
  };
  if ((config.tls_cert === "") !== (config.tls_key === "")) {
    const missing = config.tls_cert === "" ? "tls_cert" : "tls_key";
    throw new ConfigError(f(missing), "", "set together with tls_cert and tls_key");
  }
  return config;
}

function readMqttUrl(
  value: unknown,
  field: string,
  fallback: string,
  emptyUrlMeans: string | undefined,
): string {
  const text = readString(value, field, fallback);
  if (text === "" && emptyUrlMeans !== undefined) return text;
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !URL_SCHEMES.includes(parsed.protocol) || parsed.hostname === "") {
    const url = "a URL mqtt://, mqtts://, tcp://, ssl://, ws:// or wss://";
    throw new ConfigError(
      field,
      text,
      emptyUrlMeans === undefined ? url : `"" (${emptyUrlMeans}) or ${url}`,
    );
  }
  return text;
}

/** The credential and TLS part of MQTT.js client options. */
export type MqttAuthTlsOptions = Pick<
  IClientOptions,
  "username" | "password" | "ca" | "cert" | "key" | "rejectUnauthorized"
>;

/**
 * Builds the credential and TLS part of MQTT.js client options, reading the
 * PEM files named by `tls_ca`, `tls_cert` and `tls_key`. Empty options are
 * left out.
 *
 * @param field The config path of `connection`, for error messages (e.g. "mqtt").
 * @throws {ConfigError} naming `<field>.tls_*` when a PEM file cannot be read.
 */
export function mqttAuthTlsOptions(
  connection: MqttConnectionOptions,
  field: string,
): MqttAuthTlsOptions {
  const options: MqttAuthTlsOptions = {
    rejectUnauthorized: connection.tls_reject_unauthorized,
  };
  if (connection.username !== "") options.username = connection.username;
  if (connection.password !== "") options.password = connection.password;
  if (connection.tls_ca !== "") options.ca = readPem(connection.tls_ca, `${field}.tls_ca`);
  if (connection.tls_cert !== "") options.cert = readPem(connection.tls_cert, `${field}.tls_cert`);
  if (connection.tls_key !== "") options.key = readPem(connection.tls_key, `${field}.tls_key`);
  return options;
}

function readPem(path: string, field: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError(field, path, `a readable PEM file (${detail})`);
  }
}
