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
  readInt,
  readListen,
  readString,
  readTable,
  rejectUnknownKeys,
} from "@tributary/shared/config/fields";
import { MQTT_PASSWORD_ENV } from "@tributary/shared/mqtt/connection";

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
  };
  /** The MQTT consumer; see {@linkcode MqttConsumerConfig}. */
  mqtt: MqttConsumerConfig;
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
    },
    mqtt: defaultMqttConfig(),
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
  rejectUnknownKeys(root, ["hub", "http", "mqtt", "broker", "limits"], "");

  const hub = readTable(root.hub, "hub");
  rejectUnknownKeys(hub, ["data_dir", "log_level", "stale_after_s"], "hub");
  const http = readTable(root.http, "http");
  rejectUnknownKeys(http, ["listen", "query_max_rows", "query_timeout_ms"], "http");
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
  const mqtt = validateMqttConfig(root.mqtt, "mqtt");
  mqtt.password = env(MQTT_PASSWORD_ENV) ?? mqtt.password;
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
      listen: listen(http.listen, "http.listen", d.http.listen),
      query_max_rows: readInt(http.query_max_rows, "http.query_max_rows", d.http.query_max_rows, {
        min: 1,
      }),
      query_timeout_ms: readInt(
        http.query_timeout_ms,
        "http.query_timeout_ms",
        d.http.query_timeout_ms,
        { min: 1 },
      ),
    },
    mqtt,
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

const LISTEN_ALLOWED = `"host:port" with port 0-65535 (0 picks a free port), e.g. "127.0.0.1:8080"`;

function listen(value: unknown, field: string, fallback: ListenAddress): ListenAddress {
  return readListen(value, field, formatListen(fallback), { allowed: LISTEN_ALLOWED });
}
