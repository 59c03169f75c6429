/**
 * The hub's configuration: one TOML file merged over {@linkcode defaultHubConfig},
 * validated at start so that a bad value stops the process with a message that
 * names the field, the value seen and what is allowed.
 *
 * Every option is documented, with its default, in `docs/hub.md`, and
 * `hub/hub.example.toml` lists them with the same defaults.
 *
 * @module
 */
import { parse as parseToml } from "smol-toml";
import { ConfigError } from "@tributary/shared/errors";
import { isLevel, type Level } from "@tributary/shared/log";
import {
  defaultMqttConfig,
  type MqttConsumerConfig,
  validateMqttConfig,
} from "./consumers/mqtt/config.ts";
import {
  formatListen,
  type ListenAddress,
  readBool,
  readChoice,
  readInt,
  readListen,
  readString,
  readTable,
  rejectUnknownKeys,
} from "@tributary/shared/config/fields";
import { MQTT_PASSWORD_ENV } from "@tributary/shared/mqtt/connection";
import { defaultRollupConfig, type RollupConfig, validateRollupConfig } from "./rollups/config.ts";
import { defaultTierConfig, type TierConfig, validateTierConfig } from "./tier/config.ts";
import {
  defaultKafkaConsumerConfig,
  type KafkaConsumerConfig,
  validateKafkaConsumerConfig,
} from "./consumers/kafka/config.ts";
import { KAFKA_PASSWORD_ENV } from "@tributary/shared/kafka/connection";

export { formatListen, type ListenAddress } from "@tributary/shared/config/fields";
export { MQTT_PASSWORD_ENV } from "@tributary/shared/mqtt/connection";

/** The validated hub configuration. */
export interface HubConfig {
  hub: {
    /** Folder of the DuckDB file `<data_dir>/hub.duckdb`. @default "./data/hub" */
    data_dir: string;
    /** @default "info" */
    log_level: Level;
    /** An agent with no heartbeat for longer than this is shown `stale` in `/api/v1/agents`, in seconds. @default 15 */
    stale_after_s: number;
  };
  http: {
    /** @default "127.0.0.1:8080" */
    listen: ListenAddress;
    /** Most rows a query returns; the response says `"truncated": true` beyond. @default 100000 */
    query_max_rows: number;
    /** A query running longer is interrupted (400). @default 30000 */
    query_timeout_ms: number;
    /** API queries running at once; more wait in line. @default 8 */
    max_concurrent_queries: number;
    /** API queries waiting for a slot; one more is answered 429. @default 64 */
    max_queued_queries: number;
    /** PEM certificate (chain) file: serve HTTPS. Set together with `tls_key`. @default "" */
    tls_cert: string;
    /** PEM private key file of `tls_cert`. @default "" */
    tls_key: string;
  };
  /** Access control of the HTTP API. */
  auth: {
    /**
     * `token`: every `/api/*` call needs `Authorization: Bearer <token>`; `open`: calls
     * without a token act as admin (allowed only on a loopback `http.listen`).
     * The file may say `auto` (the default): `open` on loopback, `token` otherwise.
     */
    mode: "token" | "open";
    /** Serve `/metrics` without a token. @default true */
    public_metrics: boolean;
    /** Audit rows older than this many days are deleted; 0 keeps them forever. @default 90 */
    audit_retention_days: number;
  };
  /** Rollups kept in the ingest transaction; see {@linkcode RollupConfig}. */
  rollups: RollupConfig;
  /** Parquet tiering of old rows and the cold-query cache; see {@linkcode TierConfig}. */
  tier: TierConfig;
  /** The MQTT consumer; see {@linkcode MqttConsumerConfig}. */
  mqtt: MqttConsumerConfig;
  /** The Kafka consumer; see {@linkcode KafkaConsumerConfig}. Off while `brokers` is empty. */
  kafka: KafkaConsumerConfig;
  broker: {
    /** Embedded aedes broker address, used only when `mqtt.url` is empty. @default "127.0.0.1:1883" */
    listen: ListenAddress;
  };
  limits: {
    /** Largest wire message decoded; larger ones are quarantined (`oversized`). @default 67108864 */
    max_message_bytes: number;
    /** Most rows a batch may carry. @default 1000000 */
    max_rows_per_batch: number;
    /** Most bytes of a quarantined message kept in `quarantine.raw`. @default 1048576 */
    max_quarantine_raw_bytes: number;
  };
}

/** The configuration used where the file says nothing. */
export function defaultHubConfig(): HubConfig {
  return {
    hub: { data_dir: "./data/hub", log_level: "info", stale_after_s: 15 },
    http: {
      listen: { hostname: "127.0.0.1", port: 8080 },
      query_max_rows: 100_000,
      query_timeout_ms: 30_000,
      max_concurrent_queries: 8,
      max_queued_queries: 64,
      tls_cert: "",
      tls_key: "",
    },
    auth: { mode: "open", public_metrics: true, audit_retention_days: 90 },
    mqtt: defaultMqttConfig(),
    rollups: defaultRollupConfig(),
    tier: defaultTierConfig(),
    kafka: defaultKafkaConsumerConfig(),
    broker: { listen: { hostname: "127.0.0.1", port: 1883 } },
    limits: {
      max_message_bytes: 67_108_864,
      max_rows_per_batch: 1_000_000,
      max_quarantine_raw_bytes: 1_048_576,
    },
  };
}

/** Options of {@linkcode parseHubConfig} and {@linkcode loadHubConfig}. */
export interface HubConfigOptions {
  /** Environment lookup, for secrets. @default Deno.env.get */
  env?: (name: string) => string | undefined;
}

/**
 * Parses and validates TOML text. Unknown sections and keys are refused, so a
 * typo does not silently fall back to a default.
 *
 * @throws {ConfigError} on bad TOML or any value that is not allowed.
 * @example
 * ```ts
 * const config = parseHubConfig('[http]\nlisten = "127.0.0.1:0"');
 * config.http.listen.port; // 0
 * ```
 */
export function parseHubConfig(text: string, options: HubConfigOptions = {}): HubConfig {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigError("(file)", detail, "valid TOML");
  }
  return validateHubConfig(raw, options);
}

/**
 * Reads `path` (or uses only the defaults when `path` is undefined), then
 * parses and validates it.
 *
 * @throws {ConfigError} when the file cannot be read or a value is not allowed.
 */
export async function loadHubConfig(
  path: string | undefined,
  options: HubConfigOptions = {},
): Promise<HubConfig> {
  if (path === undefined) return validateHubConfig({}, options);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError("--config", path, `a readable TOML file (${detail})`);
  }
  return parseHubConfig(text, options);
}

/**
 * Validates an already-parsed object (e.g. from TOML) merged over the defaults.
 *
 * @throws {ConfigError} naming the first field that is not allowed.
 */
export function validateHubConfig(raw: unknown, options: HubConfigOptions = {}): HubConfig {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const d = defaultHubConfig();
  const root = readTable(raw, "(root)");
  rejectUnknownKeys(
    root,
    ["hub", "http", "mqtt", "kafka", "broker", "limits", "auth", "rollups", "tier"],
    "",
  );

  const hub = readTable(root.hub, "hub");
  rejectUnknownKeys(hub, ["data_dir", "log_level", "stale_after_s"], "hub");
  const http = readTable(root.http, "http");
  rejectUnknownKeys(http, [
    "listen",
    "query_max_rows",
    "query_timeout_ms",
    "max_concurrent_queries",
    "max_queued_queries",
    "tls_cert",
    "tls_key",
  ], "http");
  const auth = readTable(root.auth, "auth");
  rejectUnknownKeys(auth, ["mode", "public_metrics", "audit_retention_days"], "auth");
  const broker = readTable(root.broker, "broker");
  rejectUnknownKeys(broker, ["listen"], "broker");
  const limits = readTable(root.limits, "limits");
  rejectUnknownKeys(limits, [
    "max_message_bytes",
    "max_rows_per_batch",
    "max_quarantine_raw_bytes",
  ], "limits");

  const logLevel = hub.log_level ?? d.hub.log_level;
  if (!isLevel(logLevel)) {
    throw new ConfigError("hub.log_level", logLevel, "one of debug, info, warn, error");
  }
  const httpListen = listen(http.listen, "http.listen", d.http.listen);
  const tlsCert = readString(http.tls_cert, "http.tls_cert", d.http.tls_cert);
  const tlsKey = readString(http.tls_key, "http.tls_key", d.http.tls_key);
  if ((tlsCert === "") !== (tlsKey === "")) {
    throw new ConfigError(
      tlsCert === "" ? "http.tls_cert" : "http.tls_key",
      "",
      "a PEM file path: http.tls_cert and http.tls_key are set together",
    );
  }
  const authMode = resolveAuthMode(
    readChoice(auth.mode, "auth.mode", "auto", ["auto", "token", "open"]),
    httpListen,
  );
  const mqtt = validateMqttConfig(root.mqtt, "mqtt");
  mqtt.password = env(MQTT_PASSWORD_ENV) ?? mqtt.password;
  const kafka = validateKafkaConsumerConfig(root.kafka, "kafka");
  kafka.sasl_password = env(KAFKA_PASSWORD_ENV) ?? kafka.sasl_password;
  return {
    hub: {
      data_dir: readString(hub.data_dir, "hub.data_dir", d.hub.data_dir, { nonEmpty: true }),
      log_level: logLevel,
      stale_after_s: readInt(hub.stale_after_s, "hub.stale_after_s", d.hub.stale_after_s, {
        min: 1,
        max: 86_400,
      }),
    },
    http: {
      listen: httpListen,
      query_max_rows: readInt(http.query_max_rows, "http.query_max_rows", d.http.query_max_rows, {
        min: 1,
      }),
      query_timeout_ms: readInt(
        http.query_timeout_ms,
        "http.query_timeout_ms",
        d.http.query_timeout_ms,
        { min: 1 },
      ),
      max_concurrent_queries: readInt(
        http.max_concurrent_queries,
        "http.max_concurrent_queries",
        d.http.max_concurrent_queries,
        { min: 1, max: 1024 },
      ),
      max_queued_queries: readInt(
        http.max_queued_queries,
        "http.max_queued_queries",
        d.http.max_queued_queries,
        { min: 0, max: 100_000 },
      ),
      tls_cert: tlsCert,
      tls_key: tlsKey,
    },
    auth: {
      mode: authMode,
      public_metrics: readBool(auth.public_metrics, "auth.public_metrics", d.auth.public_metrics),
      audit_retention_days: readInt(
        auth.audit_retention_days,
        "auth.audit_retention_days",
        d.auth.audit_retention_days,
        { min: 0, max: 36_500 },
      ),
    },
    mqtt,
    rollups: validateRollupConfig(root.rollups, "rollups"),
    tier: validateTierConfig(root.tier, "tier", env),
    kafka,
    broker: { listen: listen(broker.listen, "broker.listen", d.broker.listen) },
    limits: {
      max_message_bytes: readInt(
        limits.max_message_bytes,
        "limits.max_message_bytes",
        d.limits.max_message_bytes,
        { min: 64 },
      ),
      max_rows_per_batch: readInt(
        limits.max_rows_per_batch,
        "limits.max_rows_per_batch",
        d.limits.max_rows_per_batch,
        { min: 1 },
      ),
      max_quarantine_raw_bytes: readInt(
        limits.max_quarantine_raw_bytes,
        "limits.max_quarantine_raw_bytes",
        d.limits.max_quarantine_raw_bytes,
        { min: 0 },
      ),
    },
  };
}

/** True for 127.0.0.0/8, ::1 and localhost: addresses only this machine reaches. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** `auto` → `open` on loopback, `token` elsewhere; `open` off loopback is refused. */
function resolveAuthMode(
  mode: "auto" | "token" | "open",
  httpListen: ListenAddress,
): "token" | "open" {
  const loopback = isLoopback(httpListen.hostname);
  if (mode === "auto") return loopback ? "open" : "token";
  if (mode === "open" && !loopback) {
    throw new ConfigError(
      "auth.mode",
      mode,
      `"token" (or "auto") when http.listen is not a loopback address (${
        formatListen(httpListen)
      }); "open" is allowed only on 127.0.0.1, ::1 or localhost`,
    );
  }
  return mode;
}

const LISTEN_ALLOWED = `"host:port" with port 0-65535 (0 picks a free port), e.g. "127.0.0.1:8080"`;

function listen(value: unknown, field: string, fallback: ListenAddress): ListenAddress {
  return readListen(value, field, formatListen(fallback), { allowed: LISTEN_ALLOWED });
}
