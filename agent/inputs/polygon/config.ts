/**
 * The `polygon` input's options, their defaults and their validation.
 * Every option is documented in README.md beside this file; sample.toml holds
 * the defaults (a test checks they match).
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import {
  readBool,
  readChoice,
  readInt,
  readNumber,
  readString,
  readTable,
  rejectUnknownKeys,
} from "@tributary/shared/config/fields";
import { POLYGON_STOCK_EXCHANGES } from "./checks.ts";
import { type Dataset, DATASETS } from "./layouts.ts";
import { readSkewWindow } from "../processors/skew.ts";

/** Where the flat files come from. */
export type PolygonSource = "local" | "s3";

/** S3 options (`source = "s3"`), e.g. Polygon's own endpoint or any S3-compatible store. */
export interface PolygonS3Config {
  /** @default "flatfiles" */
  bucket: string;
  /** Key prefix to replay, e.g. `us_stocks_sip/trades_v1/2024/04/`. @default "us_stocks_sip/" */
  prefix: string;
  /** Endpoint URL; "" = AWS's default for the region. @default "https://files.polygon.io" */
  endpoint: string;
  /** @default "us-east-1" */
  region: string;
  /** Path-style addressing (needed by most non-AWS stores). @default true */
  force_path_style: boolean;
  /**
   * Access key id; env `TRIBUTARY_POLYGON_S3_ACCESS_KEY_ID` overrides it, and
   * when both are empty the AWS SDK's default chain (AWS_ACCESS_KEY_ID, ...) applies.
   * @default ""
   */
  access_key_id: string;
  /** Secret key; env `TRIBUTARY_POLYGON_S3_SECRET_ACCESS_KEY` overrides it. @default "" */
  secret_access_key: string;
}

/** Config of a `polygon` input. */
export interface PolygonConfig {
  /** @default "local" */
  source: PolygonSource;
  /** Folder replayed recursively when `source = "local"`. @default "data/polygon" */
  path: string;
  s3: PolygonS3Config;
  /** Datasets replayed; files of other datasets are skipped (logged). @default all four */
  datasets: Dataset[];
  /** Rows per buffer write (one transaction, with the checkpoint). @default 5000 */
  batch_rows: number;
  /** Most rows per second into the buffer; 0 = as fast as the buffer takes them. @default 0 */
  rate: number;
  /** Longest line kept, in bytes; longer lines are rejected `too_large`. @default 65536 */
  max_line_bytes: number;
  /** Rows more than this many seconds ahead of the agent clock are `clock_skew`; 0 = no limit. @default 300 */
  max_future_s: number;
  /** Rows more than this many seconds old are `clock_skew`; 0 = no limit (replaying history). @default 0 */
  max_past_s: number;
  /** Flag (keep) rows whose price moved more than this % from the symbol's last; 0 = off. @default 10 */
  outlier_pct: number;
  /** Known exchange ids; others are rejected `unknown_exchange`. @default 1 to 22 */
  exchanges: number[];
  /** A read of the source that brings no data for this long is retried (a stalled download). @default 60 */
  read_timeout_s: number;
  /**
   * After replaying every file, look for new ones every this many seconds
   * (files whose keys sort after the last one replayed); 0 = stop when done.
   * @default 0
   */
  poll_s: number;
  /** Progress bar and rows/s on stderr, only when stderr is a terminal. @default true */
  progress: boolean;
}

/** The defaults of {@linkcode PolygonConfig}. */
export function defaultPolygonConfig(): PolygonConfig {
  return {
    source: "local",
    path: "data/polygon",
    s3: {
      bucket: "flatfiles",
      prefix: "us_stocks_sip/",
      endpoint: "https://files.polygon.io",
      region: "us-east-1",
      force_path_style: true,
      access_key_id: "",
      secret_access_key: "",
    },
    datasets: [...DATASETS],
    batch_rows: 5000,
    rate: 0,
    max_line_bytes: 65536,
    max_future_s: 300,
    max_past_s: 0,
    outlier_pct: 10,
    exchanges: [...POLYGON_STOCK_EXCHANGES],
    read_timeout_s: 60,
    poll_s: 0,
    progress: true,
  };
}

const KEYS = [
  "type",
  "source",
  "path",
  "s3",
  "datasets",
  "batch_rows",
  "rate",
  "max_line_bytes",
  "max_future_s",
  "max_past_s",
  "outlier_pct",
  "exchanges",
  "read_timeout_s",
  "poll_s",
  "progress",
];
const S3_KEYS = [
  "bucket",
  "prefix",
  "endpoint",
  "region",
  "force_path_style",
  "access_key_id",
  "secret_access_key",
];

/**
 * Validates an untrusted `[[inputs]]` table of type `polygon`.
 *
 * @throws {ConfigError} naming the field, the value and what is allowed.
 */
export function validatePolygonConfig(raw: unknown, field: string): PolygonConfig {
  const table = readTable(raw, field);
  rejectUnknownKeys(table, KEYS, field);
  const d = defaultPolygonConfig();
  const s3 = readTable(table.s3, `${field}.s3`);
  rejectUnknownKeys(s3, S3_KEYS, `${field}.s3`);
  const source = readChoice(table.source, `${field}.source`, d.source, ["local", "s3"]);
  const config: PolygonConfig = {
    source,
    path: readString(table.path, `${field}.path`, d.path, { nonEmpty: true }),
    s3: {
      bucket: readString(s3.bucket, `${field}.s3.bucket`, d.s3.bucket, { nonEmpty: true }),
      prefix: readString(s3.prefix, `${field}.s3.prefix`, d.s3.prefix),
      endpoint: readString(s3.endpoint, `${field}.s3.endpoint`, d.s3.endpoint),
      region: readString(s3.region, `${field}.s3.region`, d.s3.region, { nonEmpty: true }),
      force_path_style: readBool(
        s3.force_path_style,
        `${field}.s3.force_path_style`,
        d.s3.force_path_style,
      ),
      access_key_id: readString(s3.access_key_id, `${field}.s3.access_key_id`, ""),
      secret_access_key: readString(s3.secret_access_key, `${field}.s3.secret_access_key`, ""),
    },
    datasets: readDatasets(table.datasets, `${field}.datasets`, d.datasets),
    batch_rows: readInt(table.batch_rows, `${field}.batch_rows`, d.batch_rows, {
      min: 1,
      max: 1_000_000,
    }),
    rate: readNumber(table.rate, `${field}.rate`, d.rate, { min: 0, max: 100_000_000 }),
    max_line_bytes: readInt(table.max_line_bytes, `${field}.max_line_bytes`, d.max_line_bytes, {
      min: 256,
      max: 16 * 1024 * 1024,
    }),
    ...readSkewWindow(table, field, d),
    outlier_pct: readNumber(table.outlier_pct, `${field}.outlier_pct`, d.outlier_pct, {
      min: 0,
      max: 1_000_000,
    }),
    exchanges: readExchanges(table.exchanges, `${field}.exchanges`, d.exchanges),
    read_timeout_s: readInt(table.read_timeout_s, `${field}.read_timeout_s`, d.read_timeout_s, {
      min: 1,
      max: 86_400,
    }),
    poll_s: readNumber(table.poll_s, `${field}.poll_s`, d.poll_s, { min: 0, max: 86_400 }),
    progress: readBool(table.progress, `${field}.progress`, d.progress),
  };
  if (config.source === "s3" && config.s3.endpoint !== "" && !isHttpUrl(config.s3.endpoint)) {
    throw new ConfigError(`${field}.s3.endpoint`, config.s3.endpoint, 'an http(s) URL or ""');
  }
  return config;
}

function readDatasets(value: unknown, field: string, fallback: Dataset[]): Dataset[] {
  if (value === undefined) return fallback;
  const allowed = `a non-empty list of ${DATASETS.map((d) => `"${d}"`).join(", ")}`;
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError(field, value, allowed);
  for (const item of value) {
    if (!(DATASETS as readonly unknown[]).includes(item)) {
      throw new ConfigError(field, value, allowed);
    }
  }
  return [...new Set(value as Dataset[])];
}

function readExchanges(value: unknown, field: string, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const allowed = "a non-empty list of integer exchange ids from 0 to 1000";
  if (!Array.isArray(value) || value.length === 0) throw new ConfigError(field, value, allowed);
  return value.map((v, i) => readInt(v, `${field}[${i}]`, 0, { min: 0, max: 1000 }));
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
