/**
 * Trades per symbol and interval: open, high, low, close, volume, VWAP and
 * trade count (OHLCV bars), one table per configured interval.
 *
 * Bars are per symbol across agents (a symbol is market-wide). Open is the
 * trade with the smallest `ts`, between trades of the same `ts` the lowest
 * price; close the trade with the greatest `ts`, between equals the highest
 * price (NaN above every number, as DuckDB orders doubles). VWAP is
 * `notional / volume` with `notional = sum(price * size)`, NULL when the
 * volume is 0.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Batch } from "@tributary/shared/records";
import type { RollupInterval } from "./config.ts";
import { type RollupFamily, rowIndex, rowTotal } from "./family.ts";
import {
  BucketCache,
  compareDouble,
  compareTs,
  groupKey,
  maxDouble,
  minDouble,
  tupleAboveSql,
} from "./ordering.ts";
import { StateTable } from "./state_table.ts";

interface BarState {
  bucket: bigint;
  symbol: string;
  openTs: bigint;
  open: number;
  high: number;
  low: number;
  closeTs: bigint;
  close: number;
  volume: number;
  notional: number;
  count: number;
}

function stateTable(name: string): StateTable {
  const earlier = tupleAboveSql(["excluded.open_ts", "excluded.open"], [
    "stored.open_ts",
    "stored.open",
  ], "<");
  const later = tupleAboveSql(["excluded.close_ts", "excluded.close"], [
    "stored.close_ts",
    "stored.close",
  ], ">");
  return new StateTable(name, [
    { name: "bucket", type: "TIMESTAMP_NS" },
    { name: "symbol", type: "VARCHAR" },
    {
      name: "open_ts",
      type: "TIMESTAMP_NS",
      merge: `CASE WHEN ${earlier} THEN excluded.open_ts ELSE stored.open_ts END`,
    },
    {
      name: "open",
      type: "DOUBLE",
      merge: `CASE WHEN ${earlier} THEN excluded.open ELSE stored.open END`,
    },
    { name: "high", type: "DOUBLE", merge: "greatest(stored.high, excluded.high)" },
    { name: "low", type: "DOUBLE", merge: "least(stored.low, excluded.low)" },
    {
      name: "close_ts",
      type: "TIMESTAMP_NS",
      merge: `CASE WHEN ${later} THEN excluded.close_ts ELSE stored.close_ts END`,
    },
    {
      name: "close",
      type: "DOUBLE",
      merge: `CASE WHEN ${later} THEN excluded.close ELSE stored.close END`,
    },
    { name: "volume", type: "DOUBLE", merge: "stored.volume + excluded.volume" },
    { name: "notional", type: "DOUBLE", merge: "stored.notional + excluded.notional" },
    { name: "trade_count", type: "BIGINT", merge: "stored.trade_count + excluded.trade_count" },
  ]);
}

/**
 * The OHLCV rollup at `interval`: state table `ohlcv_<name>_state`, view
 * `ohlcv_<name>` (e.g. `ohlcv_1m`).
 */
export function ohlcv(interval: RollupInterval): RollupFamily {
  const view = `ohlcv_${interval.name}`;
  const table = stateTable(`${view}_state`);
  const widthNs = interval.widthNs;
  return {
    kind: "trades",
    view,
    table: table.name,
    widthNs,
    schemaStatements: () => [
      table.createSql(),
      table.createStageSql(),
      `CREATE OR REPLACE VIEW ${view} AS
       SELECT bucket, symbol, open, high, low, close, volume,
              CASE WHEN volume = 0 THEN NULL ELSE notional / volume END AS vwap,
              trade_count, open_ts, close_ts, notional
       FROM ${table.name}`,
    ],
    apply: async (connection: DuckDBConnection, batch: Batch, rows) => {
      const ts = batch.columns.ts as BigInt64Array;
      const symbol = batch.columns.symbol as string[];
      const price = batch.columns.price as Float64Array;
      const size = batch.columns.size as Float64Array;
      const states = new Map<string, BarState>();
      const buckets = new BucketCache(widthNs);
      const total = rowTotal(batch, rows);
      for (let i = 0; i < total; i++) {
        const r = rowIndex(rows, i);
        const t = ts[r]!;
        const p = price[r]!;
        const q = size[r]!;
        const bucket = buckets.bucketOf(t);
        const key = groupKey(buckets.key, symbol[r]!);
        const s = states.get(key);
        if (s === undefined) {
          states.set(key, {
            bucket,
            symbol: symbol[r]!,
            openTs: t,
            open: p,
            high: p,
            low: p,
            closeTs: t,
            close: p,
            volume: q,
            notional: p * q,
            count: 1,
          });
          continue;
        }
        s.high = maxDouble(s.high, p);
        s.low = minDouble(s.low, p);
        s.volume += q;
        s.notional += p * q;
        s.count++;
        const first = compareTs(t, s.openTs);
        if (first < 0 || (first === 0 && compareDouble(p, s.open) < 0)) {
          s.openTs = t;
          s.open = p;
        }
        const last = compareTs(t, s.closeTs);
        if (last > 0 || (last === 0 && compareDouble(p, s.close) > 0)) {
          s.closeTs = t;
          s.close = p;
        }
      }
      const list = [...states.values()];
      await table.merge(connection, [
        list.map((s) => s.bucket),
        list.map((s) => s.symbol),
        list.map((s) => s.openTs),
        list.map((s) => s.open),
        list.map((s) => s.high),
        list.map((s) => s.low),
        list.map((s) => s.closeTs),
        list.map((s) => s.close),
        list.map((s) => s.volume),
        list.map((s) => s.notional),
        list.map((s) => BigInt(s.count)),
      ]);
      return list.length;
    },
  };
}
