import { assertEquals } from "@tributary/shared/testing/asserts";
import { quoteMinute } from "./quote_minute.ts";
import { at, batchOf, rowsOf, withRollupDb } from "./testing/rows.ts";

const SELECT = `SELECT epoch_ns(bucket), symbol, last_bid_price, last_bid_size, last_ask_price,
  last_ask_size, avg_spread, max_spread, quote_count, epoch_ns(last_ts)
  FROM quote_minute ORDER BY ALL`;

Deno.test("quoteMinute keeps the last bid and ask and the average and largest spread", async () => {
  await withRollupDb(async (db) => {
    const batch = batchOf("quotes", [
      { ts: at(0, 30), symbol: "X", bid_price: 10, ask_price: 10.5, bid_size: 1, ask_size: 2 },
      { ts: at(0, 10), symbol: "X", bid_price: 9, ask_price: 11, bid_size: 3, ask_size: 4 },
      { ts: at(1, 10), symbol: "X", bid_price: 8, ask_price: 8.25, bid_size: 5, ask_size: 6 },
    ]);
    assertEquals(await quoteMinute.apply(db, batch, undefined), 2);
    assertEquals(await rowsOf(db, SELECT), [
      [at(0), "X", 10, 1, 10.5, 2, 1.25, 2, 2n, at(0, 30)],
      [at(1), "X", 8, 5, 8.25, 6, 0.25, 0.25, 1n, at(1, 10)],
    ]);
  });
});

Deno.test("quoteMinute takes the last quote by ts, then bid, ask and sizes, whatever the order", async () => {
  const a = batchOf("quotes", [
    { ts: at(0, 59), symbol: "X", bid_price: 10, ask_price: 11, bid_size: 1, ask_size: 1 },
  ]);
  const b = batchOf("quotes", [
    { ts: at(0, 59), symbol: "X", bid_price: 10, ask_price: 12, bid_size: 1, ask_size: 1 },
    { ts: at(0, 59), symbol: "X", bid_price: 9, ask_price: 13, bid_size: 9, ask_size: 9 },
  ]);
  for (const order of [[a, b], [b, a]]) {
    await withRollupDb(async (db) => {
      for (const batch of order) await quoteMinute.apply(db, batch, undefined);
      assertEquals(await rowsOf(db, SELECT), [
        [at(0), "X", 10, 1, 12, 1, 7 / 3, 4, 3n, at(0, 59)],
      ]);
    });
  }
});
