import { assert, assertEquals, assertNotEquals } from "@tributary/shared/testing/asserts";
import {
  createMarketSimulator,
  QUOTE_EXCHANGES,
  type SimQuote,
  type SimTrade,
  SYMBOLS,
  TRADE_EXCHANGES,
} from "./generator.ts";

function trades(n: number, seed = 1): SimTrade[] {
  const sim = createMarketSimulator({ seed, symbols: 5 });
  return Array.from({ length: n }, () => sim.nextTrade());
}
function quotes(n: number, seed = 1): SimQuote[] {
  const sim = createMarketSimulator({ seed, symbols: 5 });
  return Array.from({ length: n }, () => sim.nextQuote());
}

const isCents = (x: number) => Math.abs(x * 100 - Math.round(x * 100)) < 1e-6;

Deno.test("createMarketSimulator gives the same trades and quotes for the same seed", () => {
  assertEquals(trades(2000), trades(2000));
  assertEquals(quotes(2000), quotes(2000));
  assertNotEquals(trades(100, 2), trades(100));
});

Deno.test("createMarketSimulator trades do not depend on how quotes interleave", () => {
  const sim = createMarketSimulator({ seed: 1, symbols: 5 });
  const mixed: SimTrade[] = [];
  for (let i = 0; i < 500; i++) {
    sim.nextQuote();
    mixed.push(sim.nextTrade());
    if (i % 3 === 0) sim.nextQuote();
  }
  assertEquals(mixed, trades(500));
});

Deno.test("createMarketSimulator quotes have bid < ask, cent prices, round-lot sizes", () => {
  const symbols = new Set(SYMBOLS.slice(0, 5).map((s) => s.symbol));
  const exchanges = new Set(QUOTE_EXCHANGES.map((e) => e.id));
  for (const q of quotes(20_000)) {
    assert(symbols.has(q.symbol), q.symbol);
    assert(q.bid_price > 0 && q.bid_price < q.ask_price, JSON.stringify(q));
    assert(q.ask_price - q.bid_price <= 0.0401, JSON.stringify(q));
    assert(isCents(q.bid_price) && isCents(q.ask_price), JSON.stringify(q));
    assert(q.bid_size % 100 === 0 && q.bid_size > 0 && q.ask_size % 100 === 0, JSON.stringify(q));
    assert(exchanges.has(q.bid_exchange) && exchanges.has(q.ask_exchange));
  }
});

Deno.test("createMarketSimulator trades are positive, near the quotes, mostly round lots", () => {
  const all = trades(20_000);
  const exchanges = new Set(TRADE_EXCHANGES.map((e) => e.id));
  let roundLots = 0;
  for (const t of all) {
    assert(t.price > 0 && isCents(t.price), JSON.stringify(t));
    assert(Number.isInteger(t.size) && t.size > 0);
    assert(exchanges.has(t.exchange));
    assert(/^\d+$/.test(t.trade_id));
    if (t.size % 100 === 0) roundLots++;
    else assert(t.conditions.includes(37), `odd lot without condition 37: ${JSON.stringify(t)}`);
  }
  assert(roundLots / all.length > 0.6, `round lots ${roundLots}`);
  assertEquals(new Set(all.map((t) => t.trade_id)).size, all.length);
  // Trade n and quote n use the same mid walk: the prices stay close.
  const sim = createMarketSimulator({ seed: 1, symbols: 1 });
  for (let i = 0; i < 5000; i++) {
    const t = sim.nextTrade(), q = sim.nextQuote();
    assert(
      Math.abs(t.price - (q.bid_price + q.ask_price) / 2) < 0.2,
      `${t.price} vs ${q.bid_price}`,
    );
  }
});

Deno.test("createMarketSimulator prices random-walk away from the start but stay plausible", () => {
  const spy = quotes(50_000).filter((q) => q.symbol === "SPY").map((q) => q.bid_price);
  assert(new Set(spy).size > 20, "price moves");
  for (const p of spy) assert(p > 521.3 * 0.8 && p < 521.3 * 1.2, `${p}`);
});
