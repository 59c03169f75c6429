import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { splitCsvLine } from "./csv.ts";
import { barReadings, layoutFromHeader, LAYOUTS, type ParsedBar } from "./layouts.ts";

const RECV = 1n;

Deno.test("layoutFromHeader reads a published trades_v1 line", () => {
  const layout = layoutFromHeader(LAYOUTS.trades.slice(), "us_stocks_sip/trades_v1/x.csv.gz")!;
  assertEquals(layout.dataset, "trades");
  assertEquals(layout.columns, 13);
  // A line from Polygon's own sample of a trades flat file.
  const line =
    'A,"12,37",0,11,52983525035312,1712306654208705342,142.99,3807,1712306654208740096,5,1,0,0';
  assertEquals(layout.parse(splitCsvLine(line)!, RECV), {
    dataset: "trades",
    seq: 3807,
    row: {
      ts: 1712306654208740096n,
      recv_ts: RECV,
      symbol: "A",
      price: 142.99,
      size: 5,
      exchange: 11,
      conditions: [12, 37],
      trade_id: "52983525035312",
    },
  });
});

Deno.test("layoutFromHeader reads quotes_v1, including an empty indicators column", () => {
  const layout = layoutFromHeader(LAYOUTS.quotes.slice(), "q.csv.gz")!;
  assertEquals(layout.dataset, "quotes");
  const line =
    'A,8,180.0,100,11,164.28,100,"1,81",,1629716400001245000,79497,1629716400044243200,1,0';
  assertEquals(layout.parse(splitCsvLine(line)!, RECV), {
    dataset: "quotes",
    seq: 79497,
    row: {
      ts: 1629716400044243200n,
      recv_ts: RECV,
      symbol: "A",
      bid_price: 164.28,
      bid_size: 100,
      ask_price: 180,
      ask_size: 100,
      bid_exchange: 11,
      ask_exchange: 8,
    },
  });
});

Deno.test("layoutFromHeader tells minute from day bars by path and maps bars to readings", () => {
  const header = LAYOUTS.minute_aggs.slice();
  assertEquals(
    layoutFromHeader(header, "us_stocks_sip/minute_aggs_v1/a.csv.gz")!.dataset,
    "minute_aggs",
  );
  const day = layoutFromHeader(header, "us_stocks_sip/day_aggs_v1/2024/04/a.csv.gz")!;
  assertEquals(day.dataset, "day_aggs");
  const bar = day.parse(
    splitCsvLine("AAPL,4930,200.29,200.5,200.63,200.29,1744792500000000000,129")!,
    RECV,
  ) as ParsedBar;
  const readings = barReadings(bar, RECV);
  assertEquals(readings.map((r) => [r.metric, r.value, r.unit]), [
    ["open", 200.29, "USD"],
    ["high", 200.63, "USD"],
    ["low", 200.29, "USD"],
    ["close", 200.5, "USD"],
    ["volume", 4930, "shares"],
    ["transactions", 129, ""],
  ]);
  assert(readings.every((r) => r.sensor === "AAPL" && r.ts === 1744792500000000000n));
  assertEquals(JSON.parse(readings[0]!.tags), { source: "polygon", bar: "1d" });
});

Deno.test("layoutFromHeader finds columns by name in any order and refuses other headers", () => {
  const reordered = ["price", "ticker", "size", "exchange", "sip_timestamp", "conditions", "id"];
  const layout = layoutFromHeader(reordered, "t.csv")!;
  assertEquals(
    layout.parse(["1.5", "X", "10", "4", "1712306654208740096", "", "9"], RECV),
    {
      dataset: "trades",
      seq: undefined,
      row: {
        ts: 1712306654208740096n,
        recv_ts: RECV,
        symbol: "X",
        price: 1.5,
        size: 10,
        exchange: 4,
        conditions: [],
        trade_id: "9",
      },
    },
  );
  assertEquals(layoutFromHeader(["time", "value"], "x.csv"), undefined);
});

Deno.test("row parsers return undefined for malformed fields", () => {
  const trades = layoutFromHeader(LAYOUTS.trades.slice(), "t")!;
  const good = "A,12,0,11,1,1,142.99,3807,1712306654208740096,5,1,0,0";
  assert(trades.parse(splitCsvLine(good)!, RECV) !== undefined);
  for (
    const bad of [
      "A,12,0,11,1,1,abc,3807,1712306654208740096,5,1,0,0", // price
      "A,12,0,11,1,1,,3807,1712306654208740096,5,1,0,0", // empty price is not 0
      "A,x,0,11,1,1,1.0,3807,1712306654208740096,5,1,0,0", // conditions
      "A,12,0,11,1,1,1.0,3807,-5,5,1,0,0", // timestamp
      "A,12,0,1.5,1,1,1.0,3807,1712306654208740096,5,1,0,0", // exchange
      ",12,0,11,1,1,1.0,3807,1712306654208740096,5,1,0,0", // ticker
      "A,12,0,11,1,1,1.0,x,1712306654208740096,5,1,0,0", // sequence
    ]
  ) assertEquals(trades.parse(splitCsvLine(bad)!, RECV), undefined, bad);
  const bars = layoutFromHeader(LAYOUTS.minute_aggs.slice(), "m")!;
  assertEquals(bars.parse(splitCsvLine("A,1,2,3,4,x,5,6")!, RECV), undefined);
});
