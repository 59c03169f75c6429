/**
 * Deterministic trades and quotes for a handful of symbols.
 *
 * Each symbol's mid price is a random walk (ticks of 0.01) stepped once per
 * `symbols` rows; trades and quotes own separate copies of the same walks, so
 * trade n and quote n see the same mid while every non-time field of row n of
 * each kind stays a pure function of (seed, options, n).
 *
 * @module
 */
import { createRandom, type Random } from "@tributary/shared/prng";
import type { Quote, Trade } from "@tributary/shared/records";
import { subSeed } from "../sim_options.ts";

/** A trade without its timestamps. */
export type SimTrade = Omit<Trade, "ts" | "recv_ts">;
/** A quote without its timestamps. */
export type SimQuote = Omit<Quote, "ts" | "recv_ts">;

/** A simulated instrument. */
export interface SymbolSpec {
  symbol: string;
  /** Starting mid price. */
  price: number;
  /** Daily volatility, as a fraction of price. */
  volatility: number;
  /** Relative share of rows. */
  weight: number;
}

/** The built-in symbols, in the order `symbols = N` takes them. */
export const SYMBOLS: readonly SymbolSpec[] = [
  { symbol: "AAPL", price: 189.5, volatility: 0.015, weight: 5 },
  { symbol: "MSFT", price: 415.2, volatility: 0.014, weight: 4 },
  { symbol: "NVDA", price: 121.4, volatility: 0.03, weight: 6 },
  { symbol: "TSLA", price: 178.9, volatility: 0.035, weight: 5 },
  { symbol: "SPY", price: 521.3, volatility: 0.009, weight: 7 },
  { symbol: "AMZN", price: 184.7, volatility: 0.018, weight: 3 },
  { symbol: "GOOGL", price: 171.2, volatility: 0.017, weight: 3 },
  { symbol: "META", price: 492.6, volatility: 0.022, weight: 3 },
  { symbol: "QQQ", price: 447.8, volatility: 0.011, weight: 4 },
  { symbol: "AMD", price: 158.3, volatility: 0.03, weight: 3 },
];

/**
 * Polygon exchange ids with relative shares of trades: 4 is the FINRA TRF
 * (off-exchange prints, which never quote), 12 Nasdaq, 10 NYSE, 11 NYSE Arca,
 * 8 Cboe EDGX, 19 Cboe BZX, 15 IEX, 21 MEMX, 7 Cboe EDGA, 1 NYSE American.
 */
export const TRADE_EXCHANGES: readonly { id: number; weight: number }[] = [
  { id: 4, weight: 35 },
  { id: 12, weight: 18 },
  { id: 10, weight: 10 },
  { id: 11, weight: 9 },
  { id: 8, weight: 8 },
  { id: 19, weight: 7 },
  { id: 15, weight: 4 },
  { id: 21, weight: 5 },
  { id: 7, weight: 2 },
  { id: 1, weight: 2 },
];

/** Exchanges that post quotes (TRF excluded). */
export const QUOTE_EXCHANGES: readonly { id: number; weight: number }[] = TRADE_EXCHANGES.filter(
  (e) => e.id !== 4,
);

/** Polygon trade conditions used: 37 odd lot, 14 intermarket sweep, 41 trade-through exempt, 12 Form T. */
export const CONDITIONS = { oddLot: 37, sweep: 14, tradeThroughExempt: 41, formT: 12 } as const;

/** Options of {@linkcode createMarketSimulator}. */
export interface MarketSimulatorOptions {
  seed: number;
  /** Number of symbols, taken in order from {@linkcode SYMBOLS}. */
  symbols: number;
}

/** Generators of trades and quotes; each `next` returns row 0, 1, 2, ... of its kind. */
export interface MarketSimulator {
  nextTrade(): SimTrade;
  nextQuote(): SimQuote;
}

/** Steps per simulated trading day, to scale the daily volatility of a step. */
const STEPS_PER_DAY = 23_400;

/** A symbol's mid-price walk, advanced only forward. */
class PricePath {
  readonly #random: Random;
  readonly #sigma: number;
  #step = 0;
  #mid: number;

  constructor(seed: number, spec: SymbolSpec) {
    this.#random = createRandom(seed);
    this.#mid = spec.price;
    this.#sigma = spec.volatility / Math.sqrt(STEPS_PER_DAY);
  }

  /** The mid at `step` (must not go backwards), rounded to a cent, at least 1.00. */
  at(step: number): number {
    while (this.#step < step) {
      this.#mid = Math.max(1, this.#mid * (1 + this.#sigma * this.#random.normal()));
      this.#step++;
    }
    return cents(this.#mid);
  }
}

function cents(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Round lots mostly; odd lots sometimes; a block now and then. */
function tradeSize(r: Random): number {
  const u = r.next();
  if (u < 0.25) return r.int(1, 99);
  if (u < 0.97) return 100 * r.int(1, 10);
  return 100 * r.int(20, 200);
}

/**
 * Creates a market simulator.
 *
 * @example
 * ```ts
 * const sim = createMarketSimulator({ seed: 1, symbols: 5 });
 * sim.nextQuote(); // { symbol: "SPY", bid_price: 521.29, ask_price: 521.31, ... }
 * sim.nextTrade(); // { symbol: "NVDA", price: 121.41, size: 100, exchange: 4, conditions: [], trade_id: "..." }
 * ```
 */
export function createMarketSimulator(options: MarketSimulatorOptions): MarketSimulator {
  const specs = SYMBOLS.slice(0, Math.max(1, Math.min(options.symbols, SYMBOLS.length)));
  const weights = specs.map((s) => s.weight);
  const paths = () => specs.map((s, i) => new PricePath(subSeed(options.seed, 1000 + i), s));
  const tradePaths = paths();
  const quotePaths = paths();
  const tradeRandom = createRandom(subSeed(options.seed, 1));
  const quoteRandom = createRandom(subSeed(options.seed, 2));
  const tradeExchangeWeights = TRADE_EXCHANGES.map((e) => e.weight);
  const quoteExchangeWeights = QUOTE_EXCHANGES.map((e) => e.weight);
  let tradeIndex = 0;
  let quoteIndex = 0;

  return {
    nextTrade(): SimTrade {
      const r = tradeRandom;
      const i = r.weighted(weights);
      const step = Math.floor(tradeIndex / specs.length);
      const n = tradeIndex++;
      const mid = tradePaths[i]!.at(step);
      const halfSpread = Math.max(0.01, cents(mid * 0.0001));
      // Trades print at the bid, at the ask, or (less often) inside.
      const u = r.next();
      const price = cents(
        u < 0.4 ? mid - halfSpread : u < 0.8 ? mid + halfSpread : mid + 0.01 * r.int(-1, 1),
      );
      const size = tradeSize(r);
      const exchange = TRADE_EXCHANGES[r.weighted(tradeExchangeWeights)]!.id;
      const conditions: number[] = [];
      if (size < 100) conditions.push(CONDITIONS.oddLot);
      const c = r.next();
      if (c < 0.08 && exchange !== 4) conditions.push(CONDITIONS.sweep);
      else if (c < 0.11) conditions.push(CONDITIONS.tradeThroughExempt);
      else if (c < 0.12) conditions.push(CONDITIONS.formT);
      conditions.sort((a, b) => a - b);
      return {
        symbol: specs[i]!.symbol,
        price: Math.max(0.01, price),
        size,
        exchange,
        conditions,
        trade_id: String(52_983_525_000_000 + n * 7 + r.int(0, 6)),
      };
    },
    nextQuote(): SimQuote {
      const r = quoteRandom;
      const i = r.weighted(weights);
      const step = Math.floor(quoteIndex / specs.length);
      quoteIndex++;
      const mid = quotePaths[i]!.at(step);
      // Spread of 1 to 4 ticks (wider for pricier names), bid always < ask.
      const ticks = r.int(1, mid > 300 ? 4 : 2);
      const bid = Math.max(0.01, cents(mid - 0.01 * Math.floor(ticks / 2)));
      const ask = cents(bid + 0.01 * ticks);
      const lot = () => (r.next() < 0.9 ? 100 * r.int(1, 12) : 100 * r.int(13, 60));
      return {
        symbol: specs[i]!.symbol,
        bid_price: bid,
        bid_size: lot(),
        ask_price: ask,
        ask_size: lot(),
        bid_exchange: QUOTE_EXCHANGES[r.weighted(quoteExchangeWeights)]!.id,
        ask_exchange: QUOTE_EXCHANGES[r.weighted(quoteExchangeWeights)]!.id,
      };
    },
  };
}
