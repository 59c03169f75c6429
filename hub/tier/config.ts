/**
 * The `[tier]` section of the hub config: when rows leave the hot store for
 * Parquet, where the Parquet goes (a local folder or S3), how long cold
 * objects live, and the local cache that cold queries read from.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import { type Kind, KINDS } from "@tributary/shared/records";
import { readTable, rejectUnknownKeys, tableReader } from "@tributary/shared/config/fields";

/** Environment variable that overrides `tier.s3.secret_access_key`. */
export const S3_SECRET_ENV = "TRIBUTARY_S3_SECRET_ACCESS_KEY";
/** Environment variable that overrides `tier.s3.access_key_id`. */
export const S3_ACCESS_KEY_ENV = "TRIBUTARY_S3_ACCESS_KEY_ID";

/** Per-kind tiering policy (`[tier.readings]`, `[tier.logs]`, ...). */
export interface KindTierConfig {
  /** Rows whose `ts` is older than this many seconds move to the cold tier. @default 604800 (7 days) */
  hot_retention_s: number;
  /** Cold objects whose newest row is older than this many days are deleted or archived; 0 keeps them. @default 0 */
  cold_retention_days: number;
  /** What cold retention does: `delete`, or `archive` (S3 storage class change; archived objects leave queries). @default "delete" */
  cold_action: "delete" | "archive";
  /** Partition folders: `date` (`date=YYYY-MM-DD/`) or `hour` (`date=.../hour=HH/`) for high volume. @default "date" */
  partition: "date" | "hour";
}

/** S3 settings, used when `tier.store = "s3"`. */
export interface S3TierConfig {
  /** Endpoint URL, e.g. `http://127.0.0.1:9000`; empty means AWS for `region`. @default "" */
  endpoint: string;
  /** @default "us-east-1" */
  region: string;
  /** Bucket (must exist). */
  bucket: string;
  /** Key prefix inside the bucket, e.g. `tributary/`. @default "" */
  prefix: string;
  /** Path-style URLs (`endpoint/bucket/key`), needed by most S3-compatible servers. @default true */
  force_path_style: boolean;
  /** @default "" (then the SDK's default credential chain) */
  access_key_id: string;
  /** Overridden by $TRIBUTARY_S3_SECRET_ACCESS_KEY. @default "" */
  secret_access_key: string;
  /** Objects larger than this are uploaded in parts. @default 16777216 */
  multipart_threshold_bytes: number;
  /** Size of each part of a multipart upload (S3 minimum 5 MiB). @default 8388608 */
  part_size_bytes: number;
  /** Attempts per S3 request (the SDK's retries with backoff). @default 4 */
  max_attempts: number;
  /** One S3 request (one part of a multipart upload) longer than this fails and is retried. @default 60000 */
  request_timeout_ms: number;
  /** Storage class for `cold_action = "archive"`. @default "GLACIER" */
  archive_storage_class: string;
}

/** The validated `[tier]` section. */
export interface TierConfig {
  /** Run the tierer. Queries read existing cold objects either way. @default true */
  enabled: boolean;
  /** `local` (a folder, the embedded default) or `s3`. @default "local" */
  store: "local" | "s3";
  /** Folder of the local cold tier; empty means `<hub.data_dir>/cold`. @default "" */
  local_dir: string;
  /** Work folder for Parquet files being written; empty means `<hub.data_dir>/tier-work`. @default "" */
  work_dir: string;
  /** Cache of cold objects for queries; empty means `<hub.data_dir>/tier-cache`. @default "" */
  cache_dir: string;
  /** Most bytes the query cache keeps (least recently used evicted). @default 1073741824 */
  cache_max_bytes: number;
  /** Seconds between tiering passes (tier, compact, cold retention). @default 60 */
  interval_s: number;
  /** Rows per Parquet row group. @default 122880 */
  row_group_rows: number;
  /** Objects smaller than this are merged with their partition's other small objects. @default 33554432 */
  compact_below_bytes: number;
  /** Per kind policy. */
  kinds: Record<Kind, KindTierConfig>;
  s3: S3TierConfig;
}

/** Defaults of one kind's policy. */
export function defaultKindTierConfig(): KindTierConfig {
  return {
    hot_retention_s: 604_800,
    cold_retention_days: 0,
    cold_action: "delete",
    partition: "date",
  };
}

/** The `[tier]` defaults. */
export function defaultTierConfig(): TierConfig {
  return {
    enabled: true,
    store: "local",
    local_dir: "",
    work_dir: "",
    cache_dir: "",
    cache_max_bytes: 1_073_741_824,
    interval_s: 60,
    row_group_rows: 122_880,
    compact_below_bytes: 33_554_432,
    kinds: {
      readings: defaultKindTierConfig(),
      logs: defaultKindTierConfig(),
      trades: defaultKindTierConfig(),
      quotes: defaultKindTierConfig(),
    },
    s3: {
      endpoint: "",
      region: "us-east-1",
      bucket: "",
      prefix: "",
      force_path_style: true,
      access_key_id: "",
      secret_access_key: "",
      multipart_threshold_bytes: 16_777_216,
      part_size_bytes: 8_388_608,
      max_attempts: 4,
      request_timeout_ms: 60_000,
      archive_storage_class: "GLACIER",
    },
  };
}

const TOP_KEYS = [
  "enabled",
  "store",
  "local_dir",
  "work_dir",
  "cache_dir",
  "cache_max_bytes",
  "interval_s",
  "row_group_rows",
  "compact_below_bytes",
  "s3",
  ...KINDS,
];
const KIND_KEYS = ["hot_retention_s", "cold_retention_days", "cold_action", "partition"];
const S3_KEYS = [
  "endpoint",
  "region",
  "bucket",
  "prefix",
  "force_path_style",
  "access_key_id",
  "secret_access_key",
  "multipart_threshold_bytes",
  "part_size_bytes",
  "max_attempts",
  "request_timeout_ms",
  "archive_storage_class",
];

/**
 * Validates the raw `[tier]` table (undefined gives the defaults).
 *
 * @param env environment lookup for the S3 credentials.
 * @throws {ConfigError} naming the first field that is not allowed.
 * @example
 * ```ts
 * const tier = validateTierConfig({ readings: { hot_retention_s: 3600 } }, "tier");
 * tier.kinds.readings.hot_retention_s; // 3600
 * ```
 */
export function validateTierConfig(
  raw: unknown,
  field: string,
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): TierConfig {
  const d = defaultTierConfig();
  const t = readTable(raw, field);
  rejectUnknownKeys(t, TOP_KEYS, field);
  const kinds = {} as Record<Kind, KindTierConfig>;
  for (const kind of KINDS) kinds[kind] = validateKind(t[kind], `${field}.${kind}`);
  const s3 = validateS3(t.s3, `${field}.s3`, env);
  const r = tableReader(t, field, d);
  const store = r.choice("store", ["local", "s3"]);
  if (store === "s3" && s3.bucket === "") {
    throw new ConfigError(`${field}.s3.bucket`, s3.bucket, 'a bucket name when store = "s3"');
  }
  return {
    enabled: r.bool("enabled"),
    store,
    local_dir: r.string("local_dir"),
    work_dir: r.string("work_dir"),
    cache_dir: r.string("cache_dir"),
    cache_max_bytes: r.int("cache_max_bytes", { min: 1_048_576 }),
    interval_s: r.int("interval_s", { min: 1, max: 86_400 }),
    row_group_rows: r.int("row_group_rows", { min: 1024, max: 10_000_000 }),
    compact_below_bytes: r.int("compact_below_bytes", { min: 0 }),
    kinds,
    s3,
  };
}

function validateKind(raw: unknown, field: string): KindTierConfig {
  const d = defaultKindTierConfig();
  const t = readTable(raw, field);
  rejectUnknownKeys(t, KIND_KEYS, field);
  const r = tableReader(t, field, d);
  return {
    hot_retention_s: r.int("hot_retention_s", { min: 0 }),
    cold_retention_days: r.int("cold_retention_days", { min: 0, max: 36_500 }),
    cold_action: r.choice("cold_action", ["delete", "archive"]),
    partition: r.choice("partition", ["date", "hour"]),
  };
}

function validateS3(
  raw: unknown,
  field: string,
  env: (name: string) => string | undefined,
): S3TierConfig {
  const d = defaultTierConfig().s3;
  const t = readTable(raw, field);
  rejectUnknownKeys(t, S3_KEYS, field);
  const r = tableReader(t, field, d);
  const endpoint = r.string("endpoint");
  if (endpoint !== "" && !/^https?:\/\/[^/]+\/?$/.test(endpoint)) {
    throw new ConfigError(`${field}.endpoint`, endpoint, 'an http(s) URL like "http://host:port"');
  }
  const prefix = r.string("prefix");
  if (prefix.startsWith("/") || (prefix !== "" && !prefix.endsWith("/"))) {
    throw new ConfigError(
      `${field}.prefix`,
      prefix,
      'empty, or a key prefix ending in "/" (no leading "/")',
    );
  }
  return {
    endpoint,
    region: r.string("region", { nonEmpty: true }),
    bucket: r.string("bucket"),
    prefix,
    force_path_style: r.bool("force_path_style"),
    access_key_id: env(S3_ACCESS_KEY_ENV) ?? r.string("access_key_id"),
    secret_access_key: env(S3_SECRET_ENV) ?? r.string("secret_access_key"),
    multipart_threshold_bytes: r.int("multipart_threshold_bytes", { min: 5_242_880 }),
    part_size_bytes: r.int("part_size_bytes", { min: 5_242_880, max: 5_368_709_120 }),
    max_attempts: r.int("max_attempts", { min: 1, max: 20 }),
    request_timeout_ms: r.int("request_timeout_ms", { min: 100, max: 3_600_000 }),
    archive_storage_class: r.string("archive_storage_class", { nonEmpty: true }),
  };
}
