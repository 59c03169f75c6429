/**
 * `GET /api/v1/market/ohlcv`: candles (open, high, low, close, volume, VWAP,
 * trade count) per interval for one symbol, computed from raw trades.
 *
 * @module
 */
import type { ApiApp, ApiDeps } from "../api_env.ts";
import { admit } from "../auth.ts";
import { chooseFormat } from "../formats/result_format.ts";
import {
  checkRange,
  formatDuration,
  ParamError,
  parseDurationNs,
  readChoiceParam,
  readDuration,
  readText,
  readTime,
} from "../params.ts";
import { queryObjects } from "../query_path.ts";
import { SqlBuilder } from "../sql_builder.ts";
import { answerQuery } from "./respond.ts";
import { floorTo, MAX_BUCKETS } from "./series.ts";
import { nowNs } from "@tributary/shared/records";

const DAY_NS = 86_400_000_000_000n;
const INTERVAL_BOUNDS = { minNs: 1_000_000_000n, maxNs: 31n * DAY_NS };

/** Where candles come from: `auto` prefers a rollup view, `raw` always scans trades. */
export const OHLCV_SOURCES = ["auto", "raw"] as const;

/**
 * Adds `GET /api/v1/market/ohlcv?symbol=&interval=&from=&to=&source=&format=` (reader, admin).
 * Columns: `ts` (interval start), `open`, `high`, `low`, `close`, `volume`, `vwap`, `trades`.
 * `from` is rounded down and `to` up to whole intervals, so every candle covers its whole
 * interval. Intervals without trades are absent. With `source=auto` (default) candles are
 * merged from the finest rollup view `ohlcv_<width>` (hub/rollups/) whose width divides the
 * interval; without one they are computed from raw trades. The answer says which
 * (`source` in JSON, header `x-tributary-source`).
 */
export function addMarketRoutes(app: ApiApp, deps: ApiDeps): void {
  app.get("/api/v1/market/ohlcv", admit(deps, "reader"), async (c) => {
    const params = new URL(c.req.url).searchParams;
    const now = nowNs();
    const symbol = readText(params, "symbol", { required: true, allowed: "a ticker like AAPL" })!;
    const intervalNs = readDuration(params, "interval", 60_000_000_000n, INTERVAL_BOUNDS);
    const toRaw = readTime(params, "to", now, now);
    const fromRaw = readTime(params, "from", toRaw - DAY_NS, now);
    checkRange(fromRaw, toRaw, params.get("from"));
    const fromNs = floorTo(fromRaw, intervalNs);
    const toNs = -floorTo(-toRaw, intervalNs);
    if ((toNs - fromNs) / intervalNs > BigInt(MAX_BUCKETS)) {
      throw new ParamError(
        "interval",
        params.get("interval") ?? formatDuration(intervalNs),
        `an interval giving at most ${MAX_BUCKETS} candles over this range`,
      );
    }
    const sourceChoice = readChoiceParam(params, "source", OHLCV_SOURCES, "auto");
    const format = chooseFormat(params.get("format") ?? undefined, c.req.header("accept"));
    const rollup = sourceChoice === "auto" ? await finestRollup(deps, intervalNs) : undefined;
    const q = new SqlBuilder().equals("symbol", symbol);
    const sql = rollup
      ? candlesFromRollup(q, rollup, intervalNs, fromNs, toNs)
      : candlesFromTrades(q, intervalNs, fromNs, toNs);
    const source = rollup ?? "trades";
    const response = await answerQuery(c, deps, {
      sql,
      options: { ...deps.query, params: q.params },
      format,
      jsonExtra: { symbol, interval: formatDuration(intervalNs), source },
    }, { endpoint: "ohlcv" });
    response.headers.set("x-tributary-source", source);
    return response;
  });
}

function candlesFromTrades(
  q: SqlBuilder,
  intervalNs: bigint,
  fromNs: bigint,
  toNs: bigint,
): string {
  q.timeRange(fromNs, toNs);
  const interval = q.bigint(intervalNs);
  return `SELECT make_timestamp_ns(epoch_ns(ts) // ${interval} * ${interval}) AS ts,
      arg_min(price, ts) AS open, max(price) AS high, min(price) AS low,
      arg_max(price, ts) AS close, sum(size) AS volume,
      sum(price * size) / nullif(sum(size), 0) AS vwap, count(*) AS trades
    FROM trades ${q.whereClause()} GROUP BY 1 ORDER BY 1`;
}

function candlesFromRollup(
  q: SqlBuilder,
  view: string,
  intervalNs: bigint,
  fromNs: bigint,
  toNs: bigint,
): string {
  q.timeRange(fromNs, toNs, "bucket");
  const interval = q.bigint(intervalNs);
  return `SELECT make_timestamp_ns(epoch_ns(bucket) // ${interval} * ${interval}) AS ts,
      arg_min(open, open_ts) AS open, max(high) AS high, min(low) AS low,
      arg_max(close, close_ts) AS close, sum(volume) AS volume,
      sum(notional) / nullif(sum(volume), 0) AS vwap, sum(trade_count)::BIGINT AS trades
    FROM ${view} ${q.whereClause()} GROUP BY 1 ORDER BY 1`;
}

/** The OHLCV rollup view (`ohlcv_1m`...) with the largest width dividing `intervalNs`, if any. */
async function finestRollup(deps: ApiDeps, intervalNs: bigint): Promise<string | undefined> {
  const views = await queryObjects(
    deps.store,
    `SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND view_name LIKE 'ohlcv_%'`,
    deps.query,
  );
  let best: { view: string; widthNs: bigint } | undefined;
  for (const { view_name } of views) {
    const view = String(view_name);
    const widthNs = parseDurationNs(view.slice("ohlcv_".length));
    if (widthNs === undefined || intervalNs % widthNs !== 0n) continue;
    if (!best || widthNs > best.widthNs) best = { view, widthNs };
  }
  // The name was checked to be `ohlcv_<duration>`, so it is safe as an identifier.
  return best?.view;
}
