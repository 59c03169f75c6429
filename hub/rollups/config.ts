/**
 * The `[rollups]` section of the hub config: whether rollups are maintained
 * and at which intervals trades are rolled up into OHLCV bars.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import { readBool, readTable, rejectUnknownKeys } from "@tributary/shared/config/fields";

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

/** The defaults: rollups on, OHLCV at 1 s, 1 min and 1 h. */
export function defaultRollupConfig(): RollupConfig {
  return {
    enabled: true,
    trade_intervals: ["1s", "1m", "1h"].map((text) => parseRollupInterval(text, "(default)")),
  };
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
  rejectUnknownKeys(table, ["enabled", "trade_intervals"], field);
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
  return { enabled, trade_intervals: intervals };
}
