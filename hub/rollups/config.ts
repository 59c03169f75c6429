/**
 * The `[rollups]` section of the hub config: whether rollups are maintained
 * and at which intervals trades are rolled up into OHLCV bars.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import { readBool, readInt, readTable, rejectUnknownKeys } from "@tributary/shared/config/fields";

/** One OHLCV interval, e.g. `1m`. */
export interface RollupInterval {
  /** The name as configured, normalised (`"60s"` stays `"60s"`); used in the table name `ohlcv_<name>`. */
  name: string;
  /** Width of a bucket in nanoseconds. Buckets start at multiples of it since the epoch (UTC). */
  widthNs: bigint;
}

/** The validated `[rollups]` section. */
export interface RollupConfig {
  /** Maintain rollups in the ingest transaction. @default true */
  enabled: boolean;
  /** OHLCV intervals, one table `ohlcv_<interval>` each. @default ["1s", "1m", "1h"] */
  trade_intervals: RollupInterval[];
  /**
   * How long each view's state rows are kept, in seconds, by view name
   * (`ohlcv_<interval>`, `sensor_minute`, `quote_minute`, `log_minute`); 0
   * keeps them forever. Every view has an entry. See `retention.ts`.
   * @default 7 days for bars under a minute, 400 days for other bars under an hour and for the minute rollups, forever for the rest
   */
  retention: Record<string, number>;
  /** Seconds between two retention passes. @default 600 */
  retention_interval_s: number;
}

const UNIT_NS: Readonly<Record<string, bigint>> = {
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};
const DAY_NS = UNIT_NS.d!;
const INTERVAL_PATTERN = /^([1-9][0-9]{0,5})([smhd])$/;
const INTERVAL_ALLOWED =
  'a duration like "1s", "5m", "1h" or "1d" (number and unit s, m, h, d) that divides one day evenly';

const DAY_S = 86_400;
const RETENTION_PATTERN = /^(0|[1-9][0-9]{0,6}[smhd])$/;
const RETENTION_ALLOWED =
  'a duration like "90m", "36h" or "7d" (number and unit s, m, h, d), a whole number of days, or 0 (keep forever)';

/** The defaults: rollups on, OHLCV at 1 s, 1 min and 1 h, retention as {@linkcode defaultRetention}. */
export function defaultRollupConfig(): RollupConfig {
  const trade_intervals = ["1s", "1m", "1h"].map((text) => parseRollupInterval(text, "(default)"));
  return {
    enabled: true,
    trade_intervals,
    retention: defaultRetention(trade_intervals),
    retention_interval_s: 600,
  };
}

/** The view names of a configuration: `ohlcv_<interval>` each, then the minute rollups. */
export function rollupViewNames(intervals: readonly RollupInterval[]): string[] {
  return [
    ...intervals.map((i) => `ohlcv_${i.name}`),
    "sensor_minute",
    "quote_minute",
    "log_minute",
  ];
}

/**
 * The default retention (seconds) of every view: bars under a minute 7 days
 * (a 1 s bar table holds ~86k rows per symbol and day), other bars under an
 * hour and the minute rollups 400 days, bars of an hour or more forever (0).
 */
export function defaultRetention(intervals: readonly RollupInterval[]): Record<string, number> {
  const retention: Record<string, number> = {};
  for (const interval of intervals) {
    retention[`ohlcv_${interval.name}`] = interval.widthNs < UNIT_NS.m!
      ? 7 * DAY_S
      : interval.widthNs < UNIT_NS.h!
      ? 400 * DAY_S
      : 0;
  }
  for (const view of ["sensor_minute", "quote_minute", "log_minute"]) retention[view] = 400 * DAY_S;
  return retention;
}

/**
 * Parses one retention: `"7d"`, `"36h"`, `"90m"`, `"3600s"`, `"0"`, or a
 * whole number of days (`400`, `0`). Returns seconds; 0 means forever.
 *
 * @throws {ConfigError} naming `field`, the value and what is allowed.
 * @example
 * ```ts
 * parseRetention("7d", "rollups.retention.ohlcv_1s"); // 604800
 * ```
 */
export function parseRetention(value: unknown, field: string): number {
  if (typeof value === "number" || typeof value === "bigint") {
    const days = Number(value);
    if (!Number.isSafeInteger(days) || days < 0 || days > 36_500) {
      throw new ConfigError(field, value, RETENTION_ALLOWED);
    }
    return days * DAY_S;
  }
  const match = typeof value === "string" ? RETENTION_PATTERN.exec(value) : null;
  if (!match) throw new ConfigError(field, value, RETENTION_ALLOWED);
  if (value === "0") return 0;
  const text = value as string;
  return Number(BigInt(text.slice(0, -1)) * UNIT_NS[text.slice(-1)]! / UNIT_NS.s!);
}

/**
 * Parses one interval such as `"1m"`. Only widths that divide a day are
 * allowed, so that buckets line up with calendar days (UTC) and hourly or
 * daily bars can be combined from smaller ones.
 *
 * @throws {ConfigError} naming `field`, the value and what is allowed.
 * @example
 * ```ts
 * parseRollupInterval("5m", "rollups.trade_intervals[0]").widthNs; // 300_000_000_000n
 * ```
 */
export function parseRollupInterval(value: unknown, field: string): RollupInterval {
  const match = typeof value === "string" ? INTERVAL_PATTERN.exec(value) : null;
  if (!match) throw new ConfigError(field, value, INTERVAL_ALLOWED);
  const widthNs = BigInt(match[1]!) * UNIT_NS[match[2]!]!;
  if (widthNs > DAY_NS || DAY_NS % widthNs !== 0n) {
    throw new ConfigError(field, value, INTERVAL_ALLOWED);
  }
  return { name: value as string, widthNs };
}

/**
 * Validates the `[rollups]` table (undefined gives the defaults).
 *
 * @throws {ConfigError} for an unknown key, a bad interval, an empty list or
 * two intervals of the same width (e.g. `"60s"` and `"1m"`).
 */
export function validateRollupConfig(raw: unknown, field = "rollups"): RollupConfig {
  const d = defaultRollupConfig();
  const table = readTable(raw, field);
  rejectUnknownKeys(
    table,
    ["enabled", "trade_intervals", "retention", "retention_interval_s"],
    field,
  );
  const enabled = readBool(table.enabled, `${field}.enabled`, d.enabled);
  let intervals = d.trade_intervals;
  if (table.trade_intervals !== undefined) {
    const listField = `${field}.trade_intervals`;
    const list = table.trade_intervals;
    if (!Array.isArray(list) || list.length === 0 || list.length > 16) {
      throw new ConfigError(
        listField,
        list,
        `a list of 1 to 16 intervals, each ${INTERVAL_ALLOWED}`,
      );
    }
    intervals = list.map((item, i) => parseRollupInterval(item, `${listField}[${i}]`));
    const widths = new Set<bigint>();
    intervals.forEach((interval, i) => {
      if (widths.has(interval.widthNs)) {
        throw new ConfigError(`${listField}[${i}]`, interval.name, "an interval not listed before");
      }
      widths.add(interval.widthNs);
    });
  }
  const retention = defaultRetention(intervals);
  if (table.retention !== undefined) {
    const retentionField = `${field}.retention`;
    const given = readTable(table.retention, retentionField);
    rejectUnknownKeys(given, rollupViewNames(intervals), retentionField);
    for (const [view, value] of Object.entries(given)) {
      retention[view] = parseRetention(value, `${retentionField}.${view}`);
    }
  }
  const retention_interval_s = readInt(
    table.retention_interval_s,
    `${field}.retention_interval_s`,
    d.retention_interval_s,
    { min: 1, max: 86_400 },
  );
  return { enabled, trade_intervals: intervals, retention, retention_interval_s };
}
