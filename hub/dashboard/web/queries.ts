/**
 * The read-only SQL the dashboard sends to `POST /api/v1/query`. Windows are
 * relative to the newest row of the table, not the browser's clock, so a
 * paused agent or a skewed clock still shows its last data.
 *
 * Every user-chosen value is either quoted with {@linkcode sqlString} or
 * checked against a fixed list (intervals, levels), never pasted raw.
 *
 * @module
 */

/** Candle intervals offered by the market panel, as DuckDB interval text. */
export const CANDLE_INTERVALS = {
  "1s": "1 second",
  "5s": "5 seconds",
  "15s": "15 seconds",
  "1m": "1 minute",
  "5m": "5 minutes",
} as const;

/** A key of {@linkcode CANDLE_INTERVALS}. */
export type CandleInterval = keyof typeof CANDLE_INTERVALS;

/** Log levels, least to most severe. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

/** An SQL string literal for `value` (single quotes doubled). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** True when `value` is a known candle interval. */
export function isCandleInterval(value: string): value is CandleInterval {
  return Object.hasOwn(CANDLE_INTERVALS, value);
}

/**
 * Latest value per (agent, sensor, metric) with up to `points` recent values
 * (oldest first) for a sparkline. Columns: agent, sensor, metric, unit,
 * value, ts_ms, spark.
 */
export function latestSensorsSql(options: { points?: number; limit?: number } = {}): string {
  const points = Math.max(2, Math.trunc(options.points ?? 40));
  const limit = Math.max(1, Math.trunc(options.limit ?? 100));
  return `WITH recent AS (
  SELECT agent, sensor, metric, unit, value, ts,
    row_number() OVER (PARTITION BY agent, sensor, metric ORDER BY ts DESC) AS n
  FROM readings
  WHERE ts >= (SELECT max(ts) FROM readings) - INTERVAL 10 MINUTE)
SELECT agent, sensor, metric, any_value(unit) AS unit, arg_max(value, ts) AS value,
  epoch_ms(max(ts)::TIMESTAMP) AS ts_ms, list(value ORDER BY ts) AS spark
FROM recent WHERE n <= ${points}
GROUP BY agent, sensor, metric ORDER BY agent, sensor, metric LIMIT ${limit}`;
}

/** One series of the `readings` table. */
export interface SeriesKey {
  agent: string;
  sensor: string;
  metric: string;
}

/**
 * One series averaged per `step_s` seconds over the last `minutes` of its
 * data. Columns: t_ms, avg, min, max.
 */
export function seriesSql(
  key: SeriesKey,
  options: { minutes?: number; stepS?: number } = {},
): string {
  const minutes = Math.max(1, Math.trunc(options.minutes ?? 10));
  const step = Math.max(1, Math.trunc(options.stepS ?? 2));
  const where = `agent = ${sqlString(key.agent)} AND sensor = ${
    sqlString(key.sensor)
  } AND metric = ${sqlString(key.metric)}`;
  return `SELECT epoch_ms(time_bucket(INTERVAL ${step} SECOND, ts::TIMESTAMP)) AS t_ms,
  avg(value) AS avg, min(value) AS min, max(value) AS max
FROM readings
WHERE ${where} AND ts >= (SELECT max(ts) FROM readings WHERE ${where}) - INTERVAL ${minutes} MINUTE
GROUP BY 1 ORDER BY 1`;
}

/** Symbols seen in trades, most traded first. Columns: symbol. */
export function symbolsSql(): string {
  return "SELECT symbol FROM trades GROUP BY symbol ORDER BY count(*) DESC, symbol LIMIT 50";
}

/**
 * OHLCV candles of `symbol` per `interval` over the last `candles`
 * intervals of its trades, with the price×size sum for VWAP. Columns: t_ms,
 * open, high, low, close, volume, pv.
 */
export function candlesSql(symbol: string, interval: CandleInterval, candles = 60): string {
  const width = CANDLE_INTERVALS[interval];
  const count = Math.max(1, Math.trunc(candles));
  const sym = sqlString(symbol);
  return `WITH t AS (
  SELECT ts::TIMESTAMP AS ts, price, size FROM trades
  WHERE symbol = ${sym}
    AND ts >= (SELECT max(ts) FROM trades WHERE symbol = ${sym}) - ${count} * INTERVAL '${width}')
SELECT epoch_ms(time_bucket(INTERVAL '${width}', ts)) AS t_ms,
  arg_min(price, ts) AS open, max(price) AS high, min(price) AS low, arg_max(price, ts) AS close,
  sum(size) AS volume, sum(price * size) AS pv
FROM t GROUP BY 1 ORDER BY 1`;
}

/**
 * The latest quote and last trade per symbol. Columns: symbol, bid_price,
 * bid_size, ask_price, ask_size, last_price, ts_ms.
 */
export function latestQuotesSql(): string {
  return `WITH q AS (
  SELECT symbol, arg_max(bid_price, ts) AS bid_price, arg_max(bid_size, ts) AS bid_size,
    arg_max(ask_price, ts) AS ask_price, arg_max(ask_size, ts) AS ask_size, max(ts) AS ts
  FROM quotes WHERE ts >= (SELECT max(ts) FROM quotes) - INTERVAL 10 MINUTE GROUP BY symbol),
tr AS (
  SELECT symbol, arg_max(price, ts) AS last_price
  FROM trades WHERE ts >= (SELECT max(ts) FROM trades) - INTERVAL 10 MINUTE GROUP BY symbol)
SELECT q.symbol, bid_price, bid_size, ask_price, ask_size, tr.last_price,
  epoch_ms(q.ts::TIMESTAMP) AS ts_ms
FROM q LEFT JOIN tr USING (symbol) ORDER BY q.symbol`;
}

/** Filters of the log tail. */
export interface LogFilter {
  /** Show this level and the more severe ones; "" for all. */
  minLevel?: string;
  /** Exact source; "" for all. */
  source?: string;
  /** Case-insensitive substring of the message; "" for none. */
  search?: string;
  /** @default 200 */
  limit?: number;
}

/** The newest log lines matching `filter`, newest first. Columns: ts, agent, source, level, message. */
export function logTailSql(filter: LogFilter = {}): string {
  const where: string[] = [];
  const min = LOG_LEVELS.indexOf(filter.minLevel as typeof LOG_LEVELS[number]);
  if (min > 0) where.push(`level IN (${LOG_LEVELS.slice(min).map(sqlString).join(", ")})`);
  if (filter.source) where.push(`source = ${sqlString(filter.source)}`);
  if (filter.search) {
    // ILIKE wildcards in the search text are taken literally.
    const escaped = filter.search.replace(/[\\%_]/g, (c) => `\\${c}`);
    where.push(`message ILIKE ${sqlString(`%${escaped}%`)} ESCAPE '\\'`);
  }
  const limit = Math.max(1, Math.min(1000, Math.trunc(filter.limit ?? 200)));
  return `SELECT ts, agent, source, level, message FROM logs${
    where.length ? ` WHERE ${where.join(" AND ")}` : ""
  } ORDER BY ts DESC LIMIT ${limit}`;
}

/** Log sources seen, for the filter list. Columns: source. */
export function logSourcesSql(): string {
  return "SELECT source FROM logs GROUP BY source ORDER BY source LIMIT 200";
}
