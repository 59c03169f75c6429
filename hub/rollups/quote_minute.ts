/**
 * Quotes per symbol and minute: the last bid and ask, the average and the
 * largest spread (`ask_price - bid_price`) and the quote count.
 *
 * Per symbol across agents (a symbol is market-wide). The last quote is the
 * one with the greatest `ts`; between quotes of the same `ts`, the greater
 * (bid_price, ask_price, bid_size, ask_size), compared in that order (NaN
 * above every number, as DuckDB orders doubles), so arrival order never
 * decides.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Batch } from "@tributary/shared/records";
import { type RollupFamily, rowIndex, rowTotal } from "./family.ts";
import {
  BucketCache,
  compareDouble,
  compareTs,
  groupKey,
  maxDouble,
  tupleAboveSql,
} from "./ordering.ts";
import { type StateColumn, StateTable } from "./state_table.ts";

const MINUTE_NS = 60_000_000_000n;

/** The columns of the last quote, in tie-break order after `last_ts`. */
const LAST_QUOTE = ["last_bid_price", "last_ask_price", "last_bid_size", "last_ask_size"] as const;

function lastColumns(): StateColumn[] {
  const names = ["last_ts", ...LAST_QUOTE];
  const newer = tupleAboveSql(
    names.map((n) => `excluded.${n}`),
    names.map((n) => `stored.${n}`),
    ">",
  );
  return names.map((name) => ({
    name,
    type: name === "last_ts" ? "TIMESTAMP_NS" : "DOUBLE",
    merge: `CASE WHEN ${newer} THEN excluded.${name} ELSE stored.${name} END`,
  }));
}

const TABLE = new StateTable("quote_minute_state", [
  { name: "bucket", type: "TIMESTAMP_NS" },
  { name: "symbol", type: "VARCHAR" },
  { name: "quote_count", type: "BIGINT", merge: "stored.quote_count + excluded.quote_count" },
  { name: "spread_sum", type: "DOUBLE", merge: "stored.spread_sum + excluded.spread_sum" },
  { name: "max_spread", type: "DOUBLE", merge: "greatest(stored.max_spread, excluded.max_spread)" },
  ...lastColumns(),
]);

interface QuoteState {
  bucket: bigint;
  symbol: string;
  count: number;
  spreadSum: number;
  maxSpread: number;
  /** ts, then the tie-break values in LAST_QUOTE order. */
  lastTs: bigint;
  last: [number, number, number, number];
}

function compareLast(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const order = compareDouble(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return 0;
}

/** The `quote_minute` rollup. */
export const quoteMinute: RollupFamily = {
  kind: "quotes",
  view: "quote_minute",
  table: TABLE.name,
  widthNs: MINUTE_NS,
  schemaStatements: () => [
    TABLE.createSql(),
    TABLE.createStageSql(),
    `CREATE OR REPLACE VIEW quote_minute AS
     SELECT bucket, symbol, last_bid_price, last_bid_size, last_ask_price, last_ask_size,
            spread_sum / quote_count AS avg_spread, max_spread, quote_count, last_ts, spread_sum
     FROM quote_minute_state`,
  ],
  apply: async (connection: DuckDBConnection, batch: Batch, rows) => {
    const ts = batch.columns.ts as BigInt64Array;
    const symbol = batch.columns.symbol as string[];
    const bidPrice = batch.columns.bid_price as Float64Array;
    const askPrice = batch.columns.ask_price as Float64Array;
    const bidSize = batch.columns.bid_size as Float64Array;
    const askSize = batch.columns.ask_size as Float64Array;
    const states = new Map<string, QuoteState>();
    const buckets = new BucketCache(MINUTE_NS);
    const total = rowTotal(batch, rows);
    for (let i = 0; i < total; i++) {
      const r = rowIndex(rows, i);
      const t = ts[r]!;
      const last: [number, number, number, number] = [
        bidPrice[r]!,
        askPrice[r]!,
        bidSize[r]!,
        askSize[r]!,
      ];
      const spread = last[1] - last[0];
      const bucket = buckets.bucketOf(t);
      const key = groupKey(buckets.key, symbol[r]!);
      const s = states.get(key);
      if (s === undefined) {
        states.set(key, {
          bucket,
          symbol: symbol[r]!,
          count: 1,
          spreadSum: spread,
          maxSpread: spread,
          lastTs: t,
          last,
        });
        continue;
      }
      s.count++;
      s.spreadSum += spread;
      s.maxSpread = maxDouble(s.maxSpread, spread);
      const order = compareTs(t, s.lastTs);
      if (order > 0 || (order === 0 && compareLast(last, s.last) > 0)) {
        s.lastTs = t;
        s.last = last;
      }
    }
    const list = [...states.values()];
    await TABLE.merge(connection, [
      list.map((s) => s.bucket),
      list.map((s) => s.symbol),
      list.map((s) => BigInt(s.count)),
      list.map((s) => s.spreadSum),
      list.map((s) => s.maxSpread),
      list.map((s) => s.lastTs),
      ...LAST_QUOTE.map((_, i) => list.map((s) => s.last[i]!)),
    ]);
    return list.length;
  },
};
