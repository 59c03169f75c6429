import { assertEquals } from "@tributary/shared/testing/asserts";
import type { Batch } from "@tributary/shared/records";
import { createRandom } from "@tributary/shared/prng";
import { type ApiFixture, withApi } from "../testing/api_fixture.ts";

async function arrange({ exec }: ApiFixture) {
  await exec(`INSERT INTO trades BY NAME
    SELECT ts, ts AS recv_ts, 'edge-1' AS agent, symbol, price, size, 4 AS exchange,
           []::INTEGER[] AS conditions, '' AS trade_id, ts AS ingested_at
    FROM (VALUES
      (TIMESTAMP_NS '2024-05-01 14:30:00.5', 'AAPL', 10.0, 1.0),
      (TIMESTAMP_NS '2024-05-01 14:30:20', 'AAPL', 12.0, 3.0),
      (TIMESTAMP_NS '2024-05-01 14:30:40', 'AAPL', 9.0, 1.0),
      (TIMESTAMP_NS '2024-05-01 14:30:59.999999999', 'AAPL', 11.0, 5.0),
      (TIMESTAMP_NS '2024-05-01 14:31:10', 'AAPL', 20.0, 2.0),
      (TIMESTAMP_NS '2024-05-01 14:30:30', 'MSFT', 400.0, 1.0)
    ) v(ts, symbol, price, size)`);
}

Deno.test("GET /api/v1/market/ohlcv computes candles with VWAP from raw trades", async () => {
  await withApi(async (fixture) => {
    await arrange(fixture);
    const body = await (await fixture.call(
      "/api/v1/market/ohlcv?symbol=AAPL&interval=1m&from=2024-05-01T14:00:00Z&to=2024-05-01T15:00:00Z&source=raw",
      "reader",
    )).json();
    assertEquals([body.symbol, body.interval, body.source], ["AAPL", "1m", "trades"]);
    assertEquals(body.columns.map((c: { name: string }) => c.name), [
      "ts",
      "open",
      "high",
      "low",
      "close",
      "volume",
      "vwap",
      "trades",
    ]);
    const vwap = (10 * 1 + 12 * 3 + 9 * 1 + 11 * 5) / 10;
    assertEquals(body.rows, [
      ["2024-05-01T14:30:00.000000000Z", 10, 12, 9, 11, 10, vwap, 4],
      ["2024-05-01T14:31:00.000000000Z", 20, 20, 20, 20, 2, 20, 1],
    ]);
  });
});

Deno.test("GET /api/v1/market/ohlcv answers CSV and validates its parameters", async () => {
  await withApi(async (fixture) => {
    await arrange(fixture);
    const csv = await (await fixture.call(
      "/api/v1/market/ohlcv?symbol=MSFT&interval=1h&from=2024-05-01T14:00:00Z&to=2024-05-01T15:00:00Z&format=csv&source=raw",
      "reader",
    )).text();
    assertEquals(
      csv,
      "ts,open,high,low,close,volume,vwap,trades\r\n2024-05-01T14:00:00.000000000Z,400,400,400,400,1,400,1\r\n",
    );
    for (
      const [path, parameter] of [
        ["/api/v1/market/ohlcv?interval=1m", "symbol"],
        ["/api/v1/market/ohlcv?symbol=AAPL&interval=500ms", "interval"],
        ["/api/v1/market/ohlcv?symbol=AAPL&interval=1m&to=later", "to"],
        ["/api/v1/market/ohlcv?symbol=AAPL&source=cache", "source"],
      ]
    ) {
      const response = await fixture.call(path!, "reader");
      assertEquals(response.status, 400);
      assertEquals((await response.json()).parameter, parameter);
    }
  });
});

/** A trades batch of `n` random trades of AAPL and MSFT over two hours from 2024-05-01 14:00. */
function tradesBatch(n: number, seed: number): Batch {
  const rng = createRandom(seed);
  const random = () => rng.next();
  const start = 1_714_572_000_000_000_000n;
  const ts = new BigInt64Array(n);
  for (let i = 0; i < n; i++) ts[i] = start + BigInt(Math.floor(random() * 7_200_000)) * 1_000_000n;
  ts.sort();
  return {
    agent: "edge-1",
    stream: "trades",
    firstSeq: 1n,
    lastSeq: BigInt(n),
    rowCount: n,
    columns: {
      seq: BigInt64Array.from({ length: n }, (_, i) => BigInt(i + 1)),
      ts,
      recv_ts: ts.slice(),
      symbol: Array.from({ length: n }, () => (random() < 0.5 ? "AAPL" : "MSFT")),
      price: Float64Array.from({ length: n }, () => 100 + Math.round(random() * 1000) / 100),
      size: Float64Array.from({ length: n }, () => 1 + Math.floor(random() * 10)),
      exchange: Int32Array.from({ length: n }, () => 4),
      conditions: Array.from({ length: n }, () => new Int32Array()),
      trade_id: Array.from({ length: n }, (_, i) => `t${i}`),
    },
  };
}

Deno.test("GET /api/v1/market/ohlcv merges rollup views and agrees with raw trades", async () => {
  await withApi(async ({ store, call }) => {
    await store.ingest(tradesBatch(3000, 7), 1);
    for (const interval of ["1m", "5m", "90s", "1h"]) {
      const path =
        `/api/v1/market/ohlcv?symbol=AAPL&interval=${interval}&from=2024-05-01T14:00:00Z&to=2024-05-01T16:00:00Z`;
      const auto = await call(path, "reader");
      const rollup = auto.headers.get("x-tributary-source") ?? "";
      assertEquals(rollup.startsWith("ohlcv_"), true, `${interval}: ${rollup}`);
      const fromRollup = await auto.json();
      const fromTrades = await (await call(`${path}&source=raw`, "reader")).json();
      assertEquals(fromTrades.source, "trades");
      assertEquals(fromRollup.rows.length, fromTrades.rows.length);
      for (let i = 0; i < fromTrades.rows.length; i++) {
        const [a, b] = [fromRollup.rows[i], fromTrades.rows[i]];
        // Same candle; sums may differ in the last bits (added in another order).
        assertEquals(a.slice(0, 5), b.slice(0, 5), `${interval} row ${i}`);
        assertEquals(a[7], b[7]);
        assertEquals(Math.abs(a[5] - b[5]) < 1e-6 && Math.abs(a[6] - b[6]) < 1e-9, true);
      }
    }
  });
});
