/**
 * The rollups recomputed the naive way, by SQL GROUP BY over raw rows, and a
 * comparison of each rollup view with its recomputation. Written apart from
 * the incremental code on purpose: other bucketing (`date_trunc`), DuckDB's
 * own aggregates and ordered `first`/`last` for the tie-breaks, so that a
 * mistake in one is not repeated in the other.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";

/** Where the raw rows of each kind are read from: a table name or a parenthesised subquery. */
export interface RawSources {
  readings: string;
  logs: string;
  trades: string;
  quotes: string;
}

/** The hot tables, which hold every raw row when nothing was tiered. */
export const HOT_TABLES: RawSources = {
  readings: "readings",
  logs: "logs",
  trades: "trades",
  quotes: "quotes",
};

/** One rollup to check: its view, the naive query, and how to compare each column. */
export interface RollupCheck {
  view: string;
  /** Key columns, in order; both queries are sorted by them. */
  keys: string[];
  /** Columns that must be equal exactly (counts, min, max, first, last). */
  exact: string[];
  /** Columns equal within {@linkcode RELATIVE_TOLERANCE} (sums, averages, VWAP). */
  approx: string[];
  /** The naive recomputation, producing keys + exact + approx columns by those names. */
  naiveSql: string;
}

/** Relative tolerance for floating sums: the order of additions differs. */
export const RELATIVE_TOLERANCE = 1e-9;

/** The checks of every rollup, for the given OHLCV intervals (`date_trunc` units). */
export function rollupChecks(
  raw: RawSources,
  ohlcvUnits: readonly ("second" | "minute" | "hour")[] = ["second", "minute", "hour"],
): RollupCheck[] {
  const unitName = { second: "1s", minute: "1m", hour: "1h" } as const;
  return [
    {
      view: "sensor_minute",
      keys: ["bucket", "agent", "sensor", "metric"],
      exact: ["count", "min_value", "max_value", "last_value", "last_ts"],
      approx: ["avg_value"],
      naiveSql: `SELECT epoch_ns(date_trunc('minute', ts)) AS bucket, agent, sensor, metric,
                   count(*) AS "count", min(value) AS min_value, max(value) AS max_value,
                   last(value ORDER BY ts, value) AS last_value, max(epoch_ns(ts)) AS last_ts,
                   avg(value) AS avg_value
                 FROM ${raw.readings} GROUP BY ALL`,
    },
    ...ohlcvUnits.map((unit): RollupCheck => ({
      view: `ohlcv_${unitName[unit]}`,
      keys: ["bucket", "symbol"],
      exact: ["open", "high", "low", "close", "trade_count", "open_ts", "close_ts"],
      approx: ["volume", "vwap"],
      naiveSql: `SELECT epoch_ns(date_trunc('${unit}', ts)) AS bucket, symbol,
                   first(price ORDER BY ts, price) AS open, max(price) AS high,
                   min(price) AS low, last(price ORDER BY ts, price) AS close,
                   count(*) AS trade_count, min(epoch_ns(ts)) AS open_ts,
                   max(epoch_ns(ts)) AS close_ts, sum(size) AS volume,
                   sum(price * size) / sum(size) AS vwap
                 FROM ${raw.trades} GROUP BY ALL`,
    })),
    {
      view: "quote_minute",
      keys: ["bucket", "symbol"],
      exact: [
        "last_bid_price",
        "last_ask_price",
        "last_bid_size",
        "last_ask_size",
        "last_ts",
        "max_spread",
        "quote_count",
      ],
      approx: ["avg_spread"],
      naiveSql: `SELECT epoch_ns(date_trunc('minute', ts)) AS bucket, symbol,
                   last(bid_price ORDER BY ts, bid_price, ask_price, bid_size, ask_size)
                     AS last_bid_price,
                   last(ask_price ORDER BY ts, bid_price, ask_price, bid_size, ask_size)
                     AS last_ask_price,
                   last(bid_size ORDER BY ts, bid_price, ask_price, bid_size, ask_size)
                     AS last_bid_size,
                   last(ask_size ORDER BY ts, bid_price, ask_price, bid_size, ask_size)
                     AS last_ask_size,
                   max(epoch_ns(ts)) AS last_ts, max(ask_price - bid_price) AS max_spread,
                   count(*) AS quote_count, avg(ask_price - bid_price) AS avg_spread
                 FROM ${raw.quotes} GROUP BY ALL`,
    },
    {
      view: "log_minute",
      keys: ["bucket", "agent", "source", "level"],
      exact: ["count"],
      approx: [],
      naiveSql: `SELECT epoch_ns(date_trunc('minute', ts)) AS bucket, agent, source, level,
                   count(*) AS "count"
                 FROM ${raw.logs} GROUP BY ALL`,
    },
  ];
}

/** What a comparison found. */
export interface CheckResult {
  view: string;
  /** Rows (buckets) of the rollup view. */
  rollupRows: number;
  /** Rows of the naive recomputation. */
  naiveRows: number;
  /** Every difference, at most 20, as readable lines. */
  mismatches: string[];
}

/**
 * Compares the view of `check` with its naive recomputation, row by row in
 * key order: the same keys, exact columns equal, approximate ones within
 * {@linkcode RELATIVE_TOLERANCE}.
 */
export async function compareRollup(
  connection: DuckDBConnection,
  check: RollupCheck,
): Promise<CheckResult> {
  const columns = [...check.keys, ...check.exact, ...check.approx];
  // The views hold TIMESTAMP_NS; the naive queries give ns as BIGINT already.
  const asNs = new Set(["bucket", "last_ts", "open_ts", "close_ts"]);
  const orderBy = `ORDER BY ${check.keys.map(quote).join(", ")}`;
  const rollupColumns = columns.map((c) =>
    asNs.has(c) ? `epoch_ns(${quote(c)}) AS ${quote(c)}` : quote(c)
  );
  const rollup = (await connection.runAndReadAll(
    `SELECT ${rollupColumns.join(", ")} FROM ${check.view} ${orderBy}`,
  )).getRows();
  const naive = (await connection.runAndReadAll(
    `SELECT ${columns.map(quote).join(", ")} FROM (${check.naiveSql}) ${orderBy}`,
  )).getRows();
  const mismatches: string[] = [];
  const report = (line: string) => {
    if (mismatches.length < 20) mismatches.push(line);
  };
  if (rollup.length !== naive.length) {
    report(`${check.view}: ${rollup.length} rows, naive recomputation has ${naive.length}`);
  }
  const n = Math.min(rollup.length, naive.length);
  for (let i = 0; i < n; i++) {
    const got = rollup[i]!;
    const want = naive[i]!;
    const where = `${check.view} ${JSON.stringify(want.slice(0, check.keys.length), bigints)}`;
    columns.forEach((column, c) => {
      const a = got[c];
      const b = want[c];
      const isApprox = check.approx.includes(column);
      const same = isApprox ? closeEnough(a, b) : sameValue(a, b);
      if (!same) report(`${where} ${column}: rollup ${String(a)}, naive ${String(b)}`);
    });
  }
  return { view: check.view, rollupRows: rollup.length, naiveRows: naive.length, mismatches };
}

function quote(name: string): string {
  return `"${name}"`;
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** Equal, with NaN equal to NaN (as DuckDB sees it). */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

function closeEnough(a: unknown, b: unknown): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a !== "number" || typeof b !== "number") return false;
  if (a === b) return true;
  return Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}
