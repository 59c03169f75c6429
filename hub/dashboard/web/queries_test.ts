/**
 * The dashboard's SQL run on a real DuckDB with the hub's schema, through the
 * same read-only runner as `POST /api/v1/query`.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { runReadOnlyQuery } from "@tributary/shared/sql/read_only_query";
import { schemaStatements } from "../../store/schema.ts";
import {
  candlesSql,
  isCandleInterval,
  latestQuotesSql,
  latestSensorsSql,
  logSourcesSql,
  logTailSql,
  seriesSql,
  sqlString,
  symbolsSql,
} from "./queries.ts";
import { candlesFromRows } from "./market.ts";

const T0 = "TIMESTAMP_NS '2026-01-01 10:00:00'";
const at = (seconds: number) => `${T0} + INTERVAL (${seconds}) SECOND`;

async function withHubDb(fn: (run: (sql: string) => Promise<unknown[][]>) => Promise<void>) {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    for (const sql of schemaStatements()) await connection.run(sql);
    const meta = `, ${T0}`;
    await connection.run(`INSERT INTO readings VALUES
      (${at(0)}, ${at(0)}, 'a1', 'temp-000', 'temperature', 20, 'degC', '{}'${meta}),
      (${at(1)}, ${at(1)}, 'a1', 'temp-000', 'temperature', 21, 'degC', '{}'${meta}),
      (${at(2)}, ${at(2)}, 'a1', 'temp-000', 'temperature', 22, 'degC', '{}'${meta}),
      (${at(2)}, ${at(2)}, 'a1', 'hum-001', 'humidity', 40, '%', '{}'${meta}),
      (${at(-3600)}, ${at(-3600)}, 'a1', 'old-009', 'co2', 1, 'ppm', '{}'${meta})`);
    await connection.run(`INSERT INTO logs VALUES
      (${at(0)}, ${at(0)}, 'a1', 'nginx', 'info', 'GET /index 100% ok', '{}'${meta}),
      (${at(1)}, ${at(1)}, 'a1', 'kernel', 'error', 'disk o''brien failed', '{}'${meta}),
      (${at(2)}, ${at(2)}, 'a1', 'nginx', 'warn', 'slow upstream', '{}'${meta})`);
    await connection.run(`INSERT INTO trades VALUES
      (${at(0)}, ${at(0)}, 'a1', 'SPY', 10, 100, 4, [], '1'${meta}),
      (${at(3)}, ${at(3)}, 'a1', 'SPY', 12, 100, 4, [], '2'${meta}),
      (${at(4)}, ${at(4)}, 'a1', 'SPY', 9, 200, 4, [], '3'${meta}),
      (${at(6)}, ${at(6)}, 'a1', 'SPY', 11, 100, 4, [], '4'${meta}),
      (${at(6)}, ${at(6)}, 'a1', 'AAPL', 200, 1, 4, [], '5'${meta})`);
    await connection.run(`INSERT INTO quotes VALUES
      (${at(0)}, ${at(0)}, 'a1', 'SPY', 9.9, 100, 10.1, 200, 1, 2${meta}),
      (${at(5)}, ${at(5)}, 'a1', 'SPY', 10.9, 300, 11.1, 400, 1, 2${meta})`);
    await fn(async (sql) => (await runReadOnlyQuery(connection, sql)).rows as unknown[][]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

Deno.test("latestSensorsSql gives the latest value and recent points per series", async () => {
  await withHubDb(async (run) => {
    const rows = await run(latestSensorsSql());
    assertEquals(rows.length, 2, "the hour-old series is outside the window");
    assertEquals(rows[0]!.slice(0, 5), ["a1", "hum-001", "humidity", "%", 40]);
    assertEquals(rows[1]!.slice(0, 5), ["a1", "temp-000", "temperature", "degC", 22]);
    assertEquals(rows[1]![6], [20, 21, 22]);
    assertEquals(rows[1]![5], Date.parse("2026-01-01T10:00:02Z"));
    const two = await run(latestSensorsSql({ points: 2 }));
    assertEquals(two[1]![6], [21, 22]);
  });
});

Deno.test("seriesSql buckets one series by the step", async () => {
  await withHubDb(async (run) => {
    const rows = await run(
      seriesSql({ agent: "a1", sensor: "temp-000", metric: "temperature" }, { stepS: 2 }),
    );
    const base = Date.parse("2026-01-01T10:00:00Z");
    assertEquals(rows, [[base, 20.5, 20, 21], [base + 2000, 22, 22, 22]]);
  });
});

Deno.test("candlesSql and candlesFromRows give OHLCV with a running VWAP", async () => {
  await withHubDb(async (run) => {
    const [[top]] = (await run(symbolsSql())) as [[string]];
    assertEquals(top, "SPY");
    const candles = candlesFromRows(await run(candlesSql("SPY", "5s")));
    const base = Date.parse("2026-01-01T10:00:00Z") / 1000;
    assertEquals(candles.t, [base, base + 5]);
    assertEquals(candles.open, [10, 11]);
    assertEquals(candles.high, [12, 11]);
    assertEquals(candles.low, [9, 11]);
    assertEquals(candles.close, [9, 11]);
    assertEquals(candles.volume, [400, 100]);
    // (10*100 + 12*100 + 9*200) / 400 = 10; then (4000 + 1100) / 500 = 10.2
    assertEquals(candles.vwap, [10, 10.2]);
  });
});

Deno.test("latestQuotesSql joins the last quote and the last trade per symbol", async () => {
  await withHubDb(async (run) => {
    const rows = await run(latestQuotesSql());
    assertEquals(rows.length, 1, "AAPL has trades but no quote");
    assertEquals(rows[0]!.slice(0, 6), ["SPY", 10.9, 300, 11.1, 400, 11]);
  });
});

Deno.test("logTailSql filters by minimum level, source and literal search text", async () => {
  await withHubDb(async (run) => {
    const messages = async (filter: Parameters<typeof logTailSql>[0]) =>
      (await run(logTailSql(filter))).map((r) => r[4]);
    assertEquals(await messages({}), [
      "slow upstream",
      "disk o'brien failed",
      "GET /index 100% ok",
    ]);
    assertEquals(await messages({ minLevel: "warn" }), ["slow upstream", "disk o'brien failed"]);
    assertEquals(await messages({ source: "nginx", minLevel: "info" }), [
      "slow upstream",
      "GET /index 100% ok",
    ]);
    assertEquals(await messages({ search: "O'BRIEN" }), ["disk o'brien failed"]);
    assertEquals(await messages({ search: "100%" }), ["GET /index 100% ok"]);
    assertEquals(await messages({ search: "0%_" }), [], "% and _ are literal");
    assertEquals(await messages({ limit: 1 }), ["slow upstream"]);
    assertEquals((await run(logSourcesSql())).map((r) => r[0]), ["kernel", "nginx"]);
  });
});

Deno.test("sqlString doubles quotes and isCandleInterval accepts only listed widths", () => {
  assertEquals(sqlString("o'brien"), "'o''brien'");
  assertEquals(isCandleInterval("5s"), true);
  assertEquals(isCandleInterval("1 second; DROP TABLE x"), false);
  assertMatch(candlesSql("X'Y", "1m"), /symbol = 'X''Y'/);
});
