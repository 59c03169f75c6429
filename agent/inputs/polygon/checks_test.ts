import { assertEquals } from "@tributary/shared/testing/asserts";
import type { Quote, Trade } from "@tributary/shared/records";
import { skewCheck } from "../processors/skew.ts";
import { EARLIEST_TS_NS, POLYGON_STOCK_EXCHANGES, RowChecks } from "./checks.ts";
import type { ParsedBar, ParsedQuote, ParsedTrade } from "./layouts.ts";

const NOW = 1_800_000_000_000_000_000n;
const T0 = 1_712_327_400_000_000_000n;

function checks(overrides: { maxPastS?: number; outlierPct?: number } = {}) {
  return new RowChecks({
    exchanges: new Set(POLYGON_STOCK_EXCHANGES),
    outlierPct: overrides.outlierPct ?? 10,
    skew: skewCheck(
      { max_future_s: 300, max_past_s: overrides.maxPastS ?? 0 },
      { earliestNs: EARLIEST_TS_NS },
    ),
  });
}

function trade(over: Partial<Trade> = {}, seq?: number): ParsedTrade {
  return {
    dataset: "trades",
    seq,
    row: {
      ts: T0,
      recv_ts: NOW,
      symbol: "AAPL",
      price: 100,
      size: 10,
      exchange: 12,
      conditions: [],
      trade_id: "1",
      ...over,
    },
  };
}

function quote(over: Partial<Quote> = {}): ParsedQuote {
  return {
    dataset: "quotes",
    seq: undefined,
    row: {
      ts: T0,
      recv_ts: NOW,
      symbol: "AAPL",
      bid_price: 99,
      bid_size: 100,
      ask_price: 101,
      ask_size: 100,
      bid_exchange: 11,
      ask_exchange: 12,
      ...over,
    },
  };
}

function bar(over: Partial<ParsedBar> = {}): ParsedBar {
  return {
    dataset: "minute_aggs",
    symbol: "AAPL",
    ts: T0,
    open: 10,
    high: 11,
    low: 9,
    close: 10.5,
    volume: 100,
    transactions: 3,
    ...over,
  };
}

Deno.test("RowChecks rejects trades with non-positive values, unknown exchanges and skewed clocks", () => {
  const c = checks({ maxPastS: 0 });
  assertEquals(c.check(trade(), NOW), undefined);
  assertEquals(c.check(trade({ price: 0 }), NOW), "non_positive");
  assertEquals(c.check(trade({ size: -1 }), NOW), "non_positive");
  assertEquals(c.check(trade({ exchange: 99 }), NOW), "unknown_exchange");
  assertEquals(c.check(trade({ ts: NOW + 301_000_000_000n }), NOW), "clock_skew");
  assertEquals(c.check(trade({ ts: EARLIEST_TS_NS - 1n }), NOW), "clock_skew");
  // With a past window, history older than it is skew too.
  assertEquals(checks({ maxPastS: 3600 }).check(trade(), NOW), "clock_skew");
});

Deno.test("RowChecks rejects rows going back in time and repeated sequence numbers", () => {
  const c = checks();
  assertEquals(c.check(trade({ ts: T0 + 10n }, 5), NOW), undefined);
  assertEquals(c.check(trade({ ts: T0 + 10n }, 6), NOW), undefined, "same ts is fine");
  assertEquals(c.check(trade({ ts: T0 + 9n }, 7), NOW), "out_of_order");
  assertEquals(c.check(trade({ ts: T0 + 11n }, 6), NOW), "duplicate_sequence");
  // Another symbol has its own state.
  assertEquals(c.check(trade({ symbol: "MSFT", ts: T0 }, 1), NOW), undefined);
  // Sequence numbers restart with each file.
  c.startFile();
  assertEquals(c.check(trade({ ts: T0 + 20n }, 1), NOW), undefined);
});

Deno.test("RowChecks flags sequence gaps, outliers and crossed quotes but keeps the rows", () => {
  const c = checks({ outlierPct: 10 });
  assertEquals(c.check(trade({}, 1), NOW), undefined);
  assertEquals(c.check(trade({}, 4), NOW), undefined);
  assertEquals(c.check(trade({ price: 150 }, 5), NOW), undefined);
  assertEquals(c.check(quote({ bid_price: 102, ask_price: 101 }), NOW), undefined);
  assertEquals(c.flags, { sequence_gap: 1, outlier: 1, crossed: 1 });
});

Deno.test("RowChecks accepts one-sided quotes and rejects empty or inconsistent ones", () => {
  const c = checks();
  assertEquals(c.check(quote({ ask_price: 0, ask_size: 0, ask_exchange: 0 }), NOW), undefined);
  assertEquals(
    c.check(quote({ bid_price: 0, bid_size: 0, ask_price: 0, ask_size: 0 }), NOW),
    "non_positive",
  );
  assertEquals(c.check(quote({ bid_size: 0 }), NOW), "non_positive");
  assertEquals(c.check(quote({ ask_price: -1 }), NOW), "non_positive");
  assertEquals(c.check(quote({ bid_exchange: 77 }), NOW), "unknown_exchange");
});

Deno.test("RowChecks checks bars: positive prices, high >= low, strictly later windows", () => {
  const c = checks();
  assertEquals(c.check(bar(), NOW), undefined);
  assertEquals(c.check(bar({ ts: T0 }), NOW), "out_of_order");
  assertEquals(c.check(bar({ ts: T0 + 60n, high: 8 }), NOW), "bad_bar");
  assertEquals(c.check(bar({ ts: T0 + 60n, close: 12 }), NOW), "bad_bar");
  assertEquals(c.check(bar({ ts: T0 + 60n, low: 0 }), NOW), "non_positive");
  assertEquals(c.check(bar({ ts: T0 + 60n, volume: 0 }), NOW), undefined);
});

Deno.test("RowChecks.rollback forgets rows checked since the last commit", () => {
  const c = checks();
  assertEquals(c.check(trade({ ts: T0 }, 1), NOW), undefined);
  c.commit();
  assertEquals(c.check(trade({ ts: T0 + 5n, price: 200 }, 4), NOW), undefined);
  assertEquals(c.check(trade({ symbol: "NEW", ts: T0 + 9n }, 1), NOW), undefined);
  assertEquals(c.flags, { sequence_gap: 1, outlier: 1, crossed: 0 });
  c.rollback();
  assertEquals(c.flags, { sequence_gap: 0, outlier: 0, crossed: 0 });
  // Read again: neither out of order nor a repeated sequence number.
  assertEquals(c.check(trade({ ts: T0 + 5n, price: 200 }, 4), NOW), undefined);
  assertEquals(c.check(trade({ symbol: "NEW", ts: T0 + 9n }, 1), NOW), undefined);
  assertEquals(c.flags, { sequence_gap: 1, outlier: 1, crossed: 0 });
});
