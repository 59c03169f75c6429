import { assertEquals } from "@tributary/shared/testing/asserts";
import { ohlcv } from "./ohlcv.ts";
import { parseRollupInterval } from "./config.ts";
import { at, batchOf, rowsOf, withRollupDb } from "./testing/rows.ts";

const bars1m = ohlcv(parseRollupInterval("1m", "test"));
const bars1h = ohlcv(parseRollupInterval("1h", "test"));
const SELECT = `SELECT epoch_ns(bucket), symbol, open, high, low, close, volume, vwap, trade_count,
  epoch_ns(open_ts), epoch_ns(close_ts) FROM ohlcv_1m ORDER BY ALL`;

Deno.test("ohlcv names its view and table after the interval", () => {
  assertEquals([bars1m.view, bars1m.table, bars1h.view], [
    "ohlcv_1m",
    "ohlcv_1m_state",
    "ohlcv_1h",
  ]);
});

Deno.test("ohlcv keeps open, high, low, close, volume, VWAP and count per symbol and bucket", async () => {
  await withRollupDb(async (db) => {
    const batch = batchOf("trades", [
      { ts: at(0, 20), symbol: "X", price: 10, size: 1 },
      { ts: at(0, 10), symbol: "X", price: 12, size: 3 },
      { ts: at(0, 50), symbol: "X", price: 8, size: 4 },
      { ts: at(2, 0), symbol: "X", price: 11, size: 2 },
      { ts: at(0, 30), symbol: "Y", price: 1, size: 0 },
    ]);
    assertEquals(await bars1m.apply(db, batch, undefined), 3);
    assertEquals(await bars1h.apply(db, batch, undefined), 2);
    assertEquals(await rowsOf(db, SELECT), [
      [at(0), "X", 12, 12, 8, 8, 8, (10 + 36 + 32) / 8, 3n, at(0, 10), at(0, 50)],
      [at(0), "Y", 1, 1, 1, 1, 0, null, 1n, at(0, 30), at(0, 30)],
      [at(2), "X", 11, 11, 11, 11, 2, 11, 1n, at(2, 0), at(2, 0)],
    ]);
    assertEquals(
      await rowsOf(db, "SELECT symbol, open, close, trade_count FROM ohlcv_1h ORDER BY symbol"),
      [["X", 12, 11, 4n], ["Y", 1, 1, 1n]],
    );
  });
});

Deno.test("ohlcv breaks ties by price whatever the arrival order: open lowest, close highest", async () => {
  const a = batchOf("trades", [
    { ts: at(0, 0), symbol: "X", price: 5, size: 1 },
    { ts: at(0, 59), symbol: "X", price: 5, size: 1 },
  ]);
  const b = batchOf("trades", [
    { ts: at(0, 0), symbol: "X", price: 4, size: 1 },
    { ts: at(0, 59), symbol: "X", price: 6, size: 1 },
    { ts: at(0, 30), symbol: "X", price: 9, size: 2 },
  ]);
  for (const order of [[a, b], [b, a]]) {
    await withRollupDb(async (db) => {
      for (const batch of order) await bars1m.apply(db, batch, undefined);
      assertEquals(await rowsOf(db, SELECT), [
        [at(0), "X", 4, 9, 4, 6, 6, (5 + 5 + 4 + 6 + 18) / 6, 5n, at(0, 0), at(0, 59)],
      ]);
    });
  }
});

Deno.test("ohlcv rolls up trades of every agent into one bar per symbol", async () => {
  await withRollupDb(async (db) => {
    const row = { ts: at(0, 1), symbol: "X", price: 1, size: 1 };
    await bars1m.apply(db, batchOf("trades", [row], "a"), undefined);
    await bars1m.apply(db, batchOf("trades", [row], "b"), undefined);
    assertEquals(await rowsOf(db, "SELECT trade_count, volume FROM ohlcv_1m"), [[2n, 2]]);
  });
});
