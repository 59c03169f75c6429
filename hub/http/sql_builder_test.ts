import { assertEquals } from "@tributary/shared/testing/asserts";
import type { DuckDBTimestampNanosecondsValue } from "@duckdb/node-api";
import { SqlBuilder } from "./sql_builder.ts";

Deno.test("SqlBuilder keeps every value out of the SQL text", () => {
  const q = new SqlBuilder().equals("sensor", "x' OR 1=1 --").equals("metric", undefined)
    .oneOf("level", ["warn", "error"]).timeRange(1n, 2n);
  const step = q.bigint(60n);
  assertEquals(
    q.whereClause(),
    "WHERE sensor = $1 AND level IN ($2, $3) AND ts >= $4 AND ts < $5",
  );
  assertEquals(step, "CAST($6 AS BIGINT)");
  assertEquals(q.params.slice(0, 3), ["x' OR 1=1 --", "warn", "error"]);
  assertEquals((q.params[3] as DuckDBTimestampNanosecondsValue).nanos, 1n);
  assertEquals(new SqlBuilder().whereClause(), "");
});
