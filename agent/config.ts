/**
 * The agent's config file (TOML): defaults, merge and validation. Every
 * option and its default is documented in docs/agent.md and in
 * agent/agent.example.toml.
 *
 * @module
 */
import { parse as parseToml } from "smol-toml";
import { ConfigError } from "@tributary/shared/errors";
import { AGENT_ID_RULE, isAgentId } from "@tributary/shared/ids";
import { isLevel, type Level, LEVELS } from "@tributary/shared/log";
import { type Codec, CODECS } from "@tributary/shared/wire";
import { MQTT_PASSWORD_ENV } from "@tributary/shared/mqtt/connection";
import {
  type ListenAddress,
  readChoice,
  readInt,
  readListen,
  readString,
  readTable,
  rejectUnknownKeys,
} from "@tributary/shared/config/fields";
import { assertUniqueInputIds, type ConfiguredInput, configureInput } from "./inputs/registry.ts";
import { type ConfiguredTransport, configureTransport } from "./transports/registry.ts";
import { KINDS } from "@tributary/shared/records";
import {
  DEFAULT_PRIORITIES,
  DROP_POLICIES,
  type DropPolicy,
  type Priorities,
} from "./buffer/budget.ts";
import { DEFAULT_MEMORY_LIMIT_MIB } from "./buffer/buffer.ts";
import { DEFAULT_SEGMENT_ROWS } from "./buffer/segments.ts";

/** `[buffer]`: the disk budget of the store-and-forward buffer (agent/buffer/budget.ts). */
export interface BufferSection {
  /** Most approximate bytes of buffered rows (raw size, not the file's size). @default 1073741824 */
  max_bytes: number;
  /** Rows older than this (by recv_ts) are dropped, reason `max_age`; 0 = never. @default 0 */
  max_age_s: number;
  /** When full: "drop_oldest", "drop_newest" or "block". @default "drop_oldest" */
  policy: DropPolicy;
  /** Priority class per stream, 0 kept longest. @default { trades: 0, quotes: 0, readings: 1, logs: 2 } */
  priorities: Priorities;
  /** DuckDB's memory limit for the buffer, MiB (its block cache; see AgentBuffer). @default 16 */
  memory_limit_mib: number;
  /**
   * How long DuckDB's allocator keeps memory DuckDB freed before giving it
   * back to the kernel, ms; -1 leaves DuckDB's own setting (shared/sql/duckdb_allocator.ts).
   * @default 0
   */
  allocator_decay_ms: number;
  /**
   * Seqs per segment table of a stream (see agent/buffer/segments.ts): a
   * drain's checkpoints write two tables of this size per stream instead of
   * the whole backlog. @default 983040
   */
  segment_rows: number;
}

/** `[agent]`. */
export interface AgentSection {
  /** Agent id (required): used in topics, keys and file names. */
  id: string;
  /** Folder of the buffer file `buffer.duckdb`. @default "./data/agent" */
  data_dir: string;
  /** Lowest log level written. @default "info" */
  log_level: Level;
  /** Seconds between heartbeats to the hub; 0 sends none. @default 5 */
  heartbeat_interval_s: number;
}

/** `[http]`. */
export interface HttpSection {
  /** `host:port` of /healthz, /metrics, /status; port 0 picks a free port. @default "127.0.0.1:8081" */
  listen: string;
  /** `listen`, parsed. */
  address: ListenAddress;
}

/** `[shipper]`. */
export interface ShipperSection {
  /** Most rows per batch. @default 5000 */
  max_batch_rows: number;
  /** How long a small batch waits for more rows, in ms. @default 100 */
  linger_ms: number;
  /** Batches per stream awaiting confirmation. @default 4 */
  in_flight: number;
  /** Body compression: "zstd", "gzip" or "none". @default "zstd" */
  codec: Codec;
  /** First retry wait cap, in ms. @default 200 */
  retry_initial_ms: number;
  /** Largest retry wait, in ms. @default 10000 */
  retry_max_ms: number;
  /** Longest wait for in-flight sends at shutdown, in ms. @default 5000 */
  drain_timeout_ms: number;
  /** Cap on bytes handed to the transport per second, all streams together; 0 = unlimited. @default 0 */
  max_bytes_per_sec: number;
  /**
   * Warn when a stream with rows to ship has had none confirmed this long, in
   * ms (again at 2x, 4x... that, at most hourly); 0 = never. @default 60000
   */
  stall_warn_ms: number;
}

/** The whole validated config. */
export interface AgentConfig {
  agent: AgentSection;
  http: HttpSection;
  shipper: ShipperSection;
  buffer: BufferSection;
  transport: ConfiguredTransport;
  inputs: ConfiguredInput[];
}

/** Defaults of every section but `[agent] id`, `[transport]` and `[[inputs]]`. */
export const DEFAULTS = {
  agent: { data_dir: "./data/agent", log_level: "info" as Level, heartbeat_interval_s: 5 },
  http: { listen: "127.0.0.1:8081" },
  shipper: {
    max_batch_rows: 5000,
    linger_ms: 100,
    in_flight: 4,
    codec: "zstd" as Codec,
    retry_initial_ms: 200,
    retry_max_ms: 10_000,
    drain_timeout_ms: 5000,
    max_bytes_per_sec: 0,
    stall_warn_ms: 60_000,
  },
  buffer: {
    max_bytes: 1_073_741_824,
    max_age_s: 0,
    policy: "drop_oldest" as DropPolicy,
    priorities: DEFAULT_PRIORITIES as Priorities,
    memory_limit_mib: DEFAULT_MEMORY_LIMIT_MIB,
    allocator_decay_ms: 0,
    segment_rows: DEFAULT_SEGMENT_ROWS,
  },
} as const;

/** Options of {@linkcode parseConfig}. */
export interface ParseConfigOptions {
  /** Environment variables (for secrets such as TRIBUTARY_MQTT_PASSWORD). @default {} */
  env?: Record<string, string | undefined>;
  /** Name of the file, for error messages. @default "config" */
  source?: string;
}

/**
 * Parses and validates the TOML text of an agent config.
 *
 * @example
 * ```ts
 * const config = parseConfig('[agent]\nid = "edge-1"\n[[inputs]]\ntype = "sim_sensors"\n');
 * config.shipper.max_batch_rows; // 5000
 * ```
 * @throws {ConfigError} naming the field, the value seen and what is allowed
 * (field `<source>` for TOML syntax errors).
 */
export function parseConfig(text: string, options: ParseConfigOptions = {}): AgentConfig {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigError(options.source ?? "config", message, "valid TOML");
  }
  return validateConfig(raw, options.env ?? {});
}

/**
 * Reads, parses and validates the config file at `path`.
 *
 * @throws {ConfigError} also when the file cannot be read.
 */
export async function loadConfig(
  path: string,
  env: Record<string, string | undefined> = {},
): Promise<AgentConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError("--config", path, `a readable file (${(error as Error).message})`);
  }
  return parseConfig(text, { env, source: path });
}

/**
 * Validates a parsed config table merged over the defaults.
 *
 * @throws {ConfigError} naming the field, the value seen and what is allowed.
 */
export function validateConfig(
  raw: unknown,
  env: Record<string, string | undefined> = {},
): AgentConfig {
  const root = readTable(raw, "config");
  rejectUnknownKeys(root, ["agent", "http", "shipper", "buffer", "transport", "inputs"], "");

  const a = readTable(root.agent, "agent");
  rejectUnknownKeys(a, ["id", "data_dir", "log_level", "heartbeat_interval_s"], "agent");
  if (!isAgentId(a.id)) throw new ConfigError("agent.id", a.id, AGENT_ID_RULE);
  const logLevel = a.log_level ?? DEFAULTS.agent.log_level;
  if (!isLevel(logLevel)) {
    throw new ConfigError("agent.log_level", logLevel, `one of ${LEVELS.join(", ")}`);
  }
  const agent: AgentSection = {
    id: a.id,
    data_dir: readString(a.data_dir, "agent.data_dir", DEFAULTS.agent.data_dir, { nonEmpty: true }),
    log_level: logLevel,
    heartbeat_interval_s: readInt(
      a.heartbeat_interval_s,
      "agent.heartbeat_interval_s",
      DEFAULTS.agent.heartbeat_interval_s,
      { min: 0, max: 3600 },
    ),
  };

  const h = readTable(root.http, "http");
  rejectUnknownKeys(h, ["listen"], "http");
  const listen = readString(h.listen, "http.listen", DEFAULTS.http.listen);
  const http: HttpSection = { listen, address: readListen(listen, "http.listen", listen) };

  const s = readTable(root.shipper, "shipper");
  const d = DEFAULTS.shipper;
  rejectUnknownKeys(s, Object.keys(d), "shipper");
  const ms = { min: 0, max: 3_600_000 };
  const shipper: ShipperSection = {
    max_batch_rows: readInt(s.max_batch_rows, "shipper.max_batch_rows", d.max_batch_rows, {
      min: 1,
      max: 1_000_000,
    }),
    linger_ms: readInt(s.linger_ms, "shipper.linger_ms", d.linger_ms, ms),
    in_flight: readInt(s.in_flight, "shipper.in_flight", d.in_flight, { min: 1, max: 1000 }),
    codec: readChoice(s.codec, "shipper.codec", d.codec, CODECS),
    retry_initial_ms: readInt(s.retry_initial_ms, "shipper.retry_initial_ms", d.retry_initial_ms, {
      min: 1,
      max: 3_600_000,
    }),
    retry_max_ms: readInt(s.retry_max_ms, "shipper.retry_max_ms", d.retry_max_ms, {
      min: 1,
      max: 3_600_000,
    }),
    drain_timeout_ms: readInt(
      s.drain_timeout_ms,
      "shipper.drain_timeout_ms",
      d.drain_timeout_ms,
      ms,
    ),
    max_bytes_per_sec: readInt(
      s.max_bytes_per_sec,
      "shipper.max_bytes_per_sec",
      d.max_bytes_per_sec,
      { min: 0, max: 10_000_000_000 },
    ),
    stall_warn_ms: readInt(s.stall_warn_ms, "shipper.stall_warn_ms", d.stall_warn_ms, {
      min: 0,
      max: 86_400_000,
    }),
  };
  if (shipper.retry_max_ms < shipper.retry_initial_ms) {
    throw new ConfigError(
      "shipper.retry_max_ms",
      shipper.retry_max_ms,
      `at least shipper.retry_initial_ms (${shipper.retry_initial_ms})`,
    );
  }

  const transport = configureTransport(withPasswordFromEnv(root.transport, env), "transport");

  const rawInputs = root.inputs ?? [];
  if (!Array.isArray(rawInputs)) {
    throw new ConfigError("inputs", rawInputs, "an array of tables ([[inputs]])");
  }
  const inputs = rawInputs.map((r: unknown, i) => configureInput(r, `inputs[${i}]`, i));
  assertUniqueInputIds(inputs);

  const buffer = validateBufferSection(root.buffer);

  return { agent, http, shipper, buffer, transport, inputs };
}

/** Applies TRIBUTARY_MQTT_PASSWORD over `[transport.mqtt] password`, without touching the caller's table. */
function withPasswordFromEnv(raw: unknown, env: Record<string, string | undefined>): unknown {
  const password = env[MQTT_PASSWORD_ENV];
  if (password === undefined) return raw;
  const transport = readTable(raw, "transport");
  const mqtt = readTable(transport.mqtt, "transport.mqtt");
  return { ...transport, mqtt: { ...mqtt, password } };
}

function validateBufferSection(raw: unknown): BufferSection {
  const b = readTable(raw, "buffer");
  const d = DEFAULTS.buffer;
  rejectUnknownKeys(b, Object.keys(d), "buffer");
  const p = readTable(b.priorities, "buffer.priorities");
  rejectUnknownKeys(p, KINDS, "buffer.priorities");
  const priorities = { ...d.priorities };
  for (const kind of KINDS) {
    priorities[kind] = readInt(p[kind], `buffer.priorities.${kind}`, d.priorities[kind], {
      min: 0,
      max: 9,
    });
  }
  return {
    max_bytes: readInt(b.max_bytes, "buffer.max_bytes", d.max_bytes, {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    }),
    max_age_s: readInt(b.max_age_s, "buffer.max_age_s", d.max_age_s, {
      min: 0,
      max: 10 * 365 * 86_400,
    }),
    policy: readChoice(b.policy, "buffer.policy", d.policy, DROP_POLICIES),
    priorities,
    // Below 16 MiB the buffer's own retires ran out of memory in the drain benchmarks.
    memory_limit_mib: readInt(b.memory_limit_mib, "buffer.memory_limit_mib", d.memory_limit_mib, {
      min: 16,
      max: 1_048_576,
    }),
    allocator_decay_ms: readInt(
      b.allocator_decay_ms,
      "buffer.allocator_decay_ms",
      d.allocator_decay_ms,
      { min: -1, max: 3_600_000 },
    ),
    // At least one row group: smaller segments multiply the tables DuckDB holds
    // in memory until a checkpoint (2048-seq segments ran a 16 MiB limit out
    // while appending and while replaying the WAL). Above 2^30 it is one table.
    segment_rows: readInt(b.segment_rows, "buffer.segment_rows", d.segment_rows, {
      min: 122_880,
      max: 1_073_741_824,
    }),
  };
}
