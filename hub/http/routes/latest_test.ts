import { assertEquals } from "@tributary/shared/testing/asserts";
import { withApi } from "../testing/api_fixture.ts";

Deno.test("GET /api/v1/latest gives the last reading per sensor and last trade and quote per symbol", async () => {
  await withApi(async ({ exec, call }) => {
    await exec(`INSERT INTO readings BY NAME
      SELECT ts, ts AS recv_ts, agent, sensor, 'temperature' AS metric, value, 'degC' AS unit,
             '{}' AS tags, ts AS ingested_at
      FROM (VALUES (TIMESTAMP_NS '2024-05-01 00:00:00', 'edge-1', 's1', 1.0),
                   (TIMESTAMP_NS '2024-05-01 00:00:05', 'edge-1', 's1', 2.0),
                   (TIMESTAMP_NS '2024-05-01 00:00:01', 'edge-2', 's1', 7.0)) v(ts, agent, sensor, value)`);
    await exec(`INSERT INTO trades BY NAME
      SELECT ts, ts AS recv_ts, 'edge-1' AS agent, symbol, price, 1.0 AS size, 4 AS exchange,
             []::INTEGER[] AS conditions, '' AS trade_id, ts AS ingested_at
      FROM (VALUES (TIMESTAMP_NS '2024-05-01 00:00:00', 'AAPL', 10.0),
                   (TIMESTAMP_NS '2024-05-01 00:00:02', 'AAPL', 11.0)) v(ts, symbol, price)`);
    await exec(`INSERT INTO quotes BY NAME
      SELECT ts, ts AS recv_ts, 'edge-1' AS agent, 'AAPL' AS symbol, bid AS bid_price,
             1.0 AS bid_size, bid + 0.5 AS ask_price, 2.0 AS ask_size, 1 AS bid_exchange,
             2 AS ask_exchange, ts AS ingested_at
      FROM (VALUES (TIMESTAMP_NS '2024-05-01 00:00:03', 10.0),
                   (TIMESTAMP_NS '2024-05-01 00:00:01', 9.0)) v(ts, bid)`);
    const body = await (await call("/api/v1/latest", "reader")).json();
    assertEquals(body.readings, [
      {
        agent: "edge-1",
        sensor: "s1",
        metric: "temperature",
        value: 2,
        unit: "degC",
        ts: "2024-05-01T00:00:05.000000000Z",
      },
      {
        agent: "edge-2",
        sensor: "s1",
        metric: "temperature",
        value: 7,
        unit: "degC",
        ts: "2024-05-01T00:00:01.000000000Z",
      },
    ]);
    assertEquals(body.trades, [{
      symbol: "AAPL",
      price: 11,
      size: 1,
      exchange: 4,
      agent: "edge-1",
      ts: "2024-05-01T00:00:02.000000000Z",
    }]);
    assertEquals(body.quotes.map((q: { bid_price: number }) => q.bid_price), [10]);
    const one = await (await call("/api/v1/latest?agent=edge-2", "reader")).json();
    assertEquals(one.readings.length, 1);
    assertEquals(one.trades, []);
  });
});
