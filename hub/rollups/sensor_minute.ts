/**
 * Sensor readings per agent, sensor, metric and minute: count, min, max,
 * sum (avg in the view) and the last value.
 *
 * "Last" is the reading with the greatest `ts`; between readings of the same
 * `ts`, the greater value (NaN above every number, as DuckDB orders doubles).
 * That makes the result independent of the order batches arrive in.
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
  minDouble,
  tupleAboveSql,
} from "./ordering.ts";
import { StateTable } from "./state_table.ts";

const MINUTE_NS = 60_000_000_000n;

const TABLE = new StateTable("sensor_minute_state", [
  { name: "bucket", type: "TIMESTAMP_NS" },
  { name: "agent", type: "VARCHAR" },
  { name: "sensor", type: "VARCHAR" },
  { name: "metric", type: "VARCHAR" },
  { name: "count", type: "BIGINT", merge: `stored."count" + excluded."count"` },
  { name: "sum_value", type: "DOUBLE", merge: "stored.sum_value + excluded.sum_value" },
  { name: "min_value", type: "DOUBLE", merge: "least(stored.min_value, excluded.min_value)" },
  { name: "max_value", type: "DOUBLE", merge: "greatest(stored.max_value, excluded.max_value)" },
  ...lastColumns(),
]);

function lastColumns() {
  const newer = tupleAboveSql(
    ["excluded.last_ts", "excluded.last_value"],
    ["stored.last_ts", "stored.last_value"],
    ">",
  );
  return [
    {
      name: "last_ts",
      type: "TIMESTAMP_NS",
      merge: `CASE WHEN ${newer} THEN excluded.last_ts ELSE stored.last_ts END`,
    },
    {
      name: "last_value",
      type: "DOUBLE",
      merge: `CASE WHEN ${newer} THEN excluded.last_value ELSE stored.last_value END`,
    },
  ] as const;
}

interface SensorState {
  bucket: bigint;
  agent: string;
  sensor: string;
  metric: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  lastTs: bigint;
  lastValue: number;
}

/** The `sensor_minute` rollup. */
export const sensorMinute: RollupFamily = {
  kind: "readings",
  view: "sensor_minute",
  table: TABLE.name,
  widthNs: MINUTE_NS,
  schemaStatements: () => [
    TABLE.createSql(),
    TABLE.createStageSql(),
    `CREATE OR REPLACE VIEW sensor_minute AS
     SELECT bucket, agent, sensor, metric, "count", min_value, max_value,
            sum_value / "count" AS avg_value, last_value, last_ts, sum_value
     FROM sensor_minute_state`,
  ],
  apply: async (connection: DuckDBConnection, batch: Batch, rows) => {
    const ts = batch.columns.ts as BigInt64Array;
    const sensor = batch.columns.sensor as string[];
    const metric = batch.columns.metric as string[];
    const value = batch.columns.value as Float64Array;
    const states = new Map<string, SensorState>();
    const buckets = new BucketCache(MINUTE_NS);
    const total = rowTotal(batch, rows);
    for (let i = 0; i < total; i++) {
      const r = rowIndex(rows, i);
      const t = ts[r]!;
      const v = value[r]!;
      const bucket = buckets.bucketOf(t);
      const key = groupKey(buckets.key, sensor[r]!, metric[r]!);
      const s = states.get(key);
      if (s === undefined) {
        states.set(key, {
          bucket,
          agent: batch.agent,
          sensor: sensor[r]!,
          metric: metric[r]!,
          count: 1,
          sum: v,
          min: v,
          max: v,
          lastTs: t,
          lastValue: v,
        });
        continue;
      }
      s.count++;
      s.sum += v;
      s.min = minDouble(s.min, v);
      s.max = maxDouble(s.max, v);
      const order = compareTs(t, s.lastTs);
      if (order > 0 || (order === 0 && compareDouble(v, s.lastValue) > 0)) {
        s.lastTs = t;
        s.lastValue = v;
      }
    }
    const list = [...states.values()];
    await TABLE.merge(connection, [
      list.map((s) => s.bucket),
      list.map((s) => s.agent),
      list.map((s) => s.sensor),
      list.map((s) => s.metric),
      list.map((s) => BigInt(s.count)),
      list.map((s) => s.sum),
      list.map((s) => s.min),
      list.map((s) => s.max),
      list.map((s) => s.lastTs),
      list.map((s) => s.lastValue),
    ]);
    return list.length;
  },
};
