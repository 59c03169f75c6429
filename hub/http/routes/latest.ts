/**
 * `GET /api/v1/latest`: the last value of every (agent, sensor, metric), and
 * the last trade and quote of every symbol.
 *
 * @module
 */
import type { ApiApp, ApiDeps } from "../api_env.ts";
import { admit } from "../auth.ts";
import { readText } from "../params.ts";
import { SqlBuilder } from "../sql_builder.ts";
import { queryObjects } from "../query_path.ts";

/**
 * Adds `GET /api/v1/latest?agent=&symbol=` (reader, admin):
 * `{"readings":[{agent,sensor,metric,value,unit,ts}], "trades":[{symbol,price,size,exchange,agent,ts}],
 * "quotes":[{symbol,bid_price,bid_size,ask_price,ask_size,agent,ts}]}`.
 */
export function addLatestRoutes(app: ApiApp, deps: ApiDeps): void {
  app.get("/api/v1/latest", admit(deps, "reader"), async (c) => {
    const params = new URL(c.req.url).searchParams;
    const agent = readText(params, "agent");
    const symbol = readText(params, "symbol");
    const started = performance.now();
    const run = (sql: string, q: SqlBuilder) =>
      queryObjects(deps.store, sql, { ...deps.query, params: q.params });
    const r = new SqlBuilder().equals("agent", agent);
    const t = new SqlBuilder().equals("symbol", symbol).equals("agent", agent);
    const qq = new SqlBuilder().equals("symbol", symbol).equals("agent", agent);
    const readings = await run(
      `SELECT agent, sensor, metric, arg_max(value, ts) AS value, arg_max(unit, ts) AS unit,
              max(ts) AS ts
       FROM readings ${r.whereClause()} GROUP BY agent, sensor, metric ORDER BY agent, sensor, metric`,
      r,
    );
    const trades = await run(
      `SELECT symbol, arg_max(price, ts) AS price, arg_max(size, ts) AS size,
              arg_max(exchange, ts) AS exchange, arg_max(agent, ts) AS agent, max(ts) AS ts
       FROM trades ${t.whereClause()} GROUP BY symbol ORDER BY symbol`,
      t,
    );
    const quotes = await run(
      `SELECT symbol, arg_max(bid_price, ts) AS bid_price, arg_max(bid_size, ts) AS bid_size,
              arg_max(ask_price, ts) AS ask_price, arg_max(ask_size, ts) AS ask_size,
              arg_max(agent, ts) AS agent, max(ts) AS ts
       FROM quotes ${qq.whereClause()} GROUP BY symbol ORDER BY symbol`,
      qq,
    );
    deps.metrics.querySeconds.observe(
      { endpoint: "latest", format: "json", outcome: "ok" },
      (performance.now() - started) / 1000,
    );
    return c.json({ readings, trades, quotes });
  });
}
