/**
 * Log lines per agent, source, level and minute: the line count.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Batch } from "@tributary/shared/records";
import { type RollupFamily, rowIndex, rowTotal } from "./family.ts";
import { BucketCache, groupKey } from "./ordering.ts";
import { StateTable } from "./state_table.ts";

const MINUTE_NS = 60_000_000_000n;

const TABLE = new StateTable("log_minute_state", [
  { name: "bucket", type: "TIMESTAMP_NS" },
  { name: "agent", type: "VARCHAR" },
  { name: "source", type: "VARCHAR" },
  { name: "level", type: "VARCHAR" },
  { name: "count", type: "BIGINT", merge: `stored."count" + excluded."count"` },
]);

interface LogState {
  bucket: bigint;
  source: string;
  level: string;
  count: number;
}

/** The `log_minute` rollup. */
export const logMinute: RollupFamily = {
  kind: "logs",
  view: "log_minute",
  table: TABLE.name,
  widthNs: MINUTE_NS,
  schemaStatements: () => [
    TABLE.createSql(),
    TABLE.createStageSql(),
    `CREATE OR REPLACE VIEW log_minute AS
     SELECT bucket, agent, source, level, "count" FROM log_minute_state`,
  ],
  apply: async (connection: DuckDBConnection, batch: Batch, rows) => {
    const ts = batch.columns.ts as BigInt64Array;
    const source = batch.columns.source as string[];
    const level = batch.columns.level as string[];
    const states = new Map<string, LogState>();
    const buckets = new BucketCache(MINUTE_NS);
    const total = rowTotal(batch, rows);
    for (let i = 0; i < total; i++) {
      const r = rowIndex(rows, i);
      const bucket = buckets.bucketOf(ts[r]!);
      const key = groupKey(buckets.key, source[r]!, level[r]!);
      const s = states.get(key);
      if (s === undefined) {
        states.set(key, { bucket, source: source[r]!, level: level[r]!, count: 1 });
      } else {
        s.count++;
      }
    }
    const list = [...states.values()];
    await TABLE.merge(connection, [
      list.map((s) => s.bucket),
      list.map(() => batch.agent),
      list.map((s) => s.source),
      list.map((s) => s.level),
      list.map((s) => BigInt(s.count)),
    ]);
    return list.length;
  },
};
