/**
 * The rollup views as an API user sees them: through `POST /api/v1/query`
 * of the hub's HTTP app, over a HotStore that ingested batches.
 */
import { assertEquals } from "@tributary/shared/testing/asserts";
import { createLogger } from "@tributary/shared/log";
import { HotStore } from "../store/hot_store.ts";
import { createHubMetrics } from "../metrics.ts";
import { createHubApp } from "../http/app.ts";
import { at, batchOf } from "./testing/rows.ts";

Deno.test("POST /api/v1/query answers from every rollup view", async () => {
  const store = await HotStore.open({ path: ":memory:" });
  try {
    const metrics = createHubMetrics({ defaultMetrics: false });
    const app = createHubApp({
      store,
      registry: metrics.registry,
      log: createLogger({ sink: () => {} }),
    });
    await store.ingest(
      batchOf("trades", [
        { ts: at(0, 1), symbol: "X", price: 10, size: 1 },
        { ts: at(0, 2), symbol: "X", price: 12, size: 3 },
      ]),
      0,
    );
    await store.ingest(
      batchOf("readings", [{ ts: at(0, 1), sensor: "s", metric: "m", value: 2 }]),
      0,
    );
    await store.ingest(
      batchOf("quotes", [{ ts: at(0, 1), symbol: "X", bid_price: 1, ask_price: 1.5 }]),
      0,
    );
    await store.ingest(batchOf("logs", [{ ts: at(0, 1), source: "app", level: "warn" }]), 0);
    const ask = async (sql: string) => {
      const response = await app.request("/api/v1/query", {
        method: "POST",
        body: JSON.stringify({ sql }),
        headers: { "content-type": "application/json" },
      });
      assertEquals(response.status, 200, sql);
      return (await response.json()).rows;
    };
    assertEquals(await ask("SELECT bucket, open, close, volume, vwap, trade_count FROM ohlcv_1m"), [
      ["2026-01-05T09:00:00.000000000Z", 10, 12, 4, 11.5, 2],
    ]);
    assertEquals(await ask("SELECT count(*) FROM ohlcv_1s"), [[2]]);
    assertEquals(await ask("SELECT sensor, count, avg_value, last_value FROM sensor_minute"), [
      ["s", 1, 2, 2],
    ]);
    assertEquals(await ask("SELECT last_bid_price, last_ask_price, max_spread FROM quote_minute"), [
      [1, 1.5, 0.5],
    ]);
    assertEquals(await ask("SELECT source, level, count FROM log_minute"), [["app", "warn", 1]]);
  } finally {
    await store.close();
  }
});
