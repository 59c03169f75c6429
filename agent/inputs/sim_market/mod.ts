/**
 * `sim_market`: simulated trades AND quotes for a handful of symbols (AAPL,
 * MSFT, NVDA, TSLA, SPY, ...), random-walk prices in cents, bid < ask, round
 * lots mostly, Polygon exchange ids and conditions.
 * Options and defaults: see README.md beside this file.
 *
 * @module
 */
import { readInt } from "@tributary/shared/config/fields";
import type { InputFactory } from "../input.ts";
import { createSimInput, type SimInput } from "../sim_input.ts";
import { defaultSimOptions, readSimOptions, type SimOptions } from "../sim_options.ts";
import { createMarketSimulator, SYMBOLS } from "./generator.ts";

export {
  CONDITIONS,
  createMarketSimulator,
  type MarketSimulatorOptions,
  QUOTE_EXCHANGES,
  type SimQuote,
  type SimTrade,
  SYMBOLS,
  TRADE_EXCHANGES,
} from "./generator.ts";

/** Config of a `sim_market` input. `rate` and `limit` apply to trades and to quotes each. */
export interface SimMarketConfig extends SimOptions {
  /** Number of symbols, taken in order: AAPL, MSFT, NVDA, TSLA, SPY, AMZN, GOOGL, META, QQQ, AMD. @default 5 */
  symbols: number;
}

/** The `sim_market` input factory. */
export const simMarket: InputFactory<SimMarketConfig, SimInput> = {
  type: "sim_market",
  defaultConfig: () => ({ ...defaultSimOptions(), symbols: 5 }),
  validate(raw, field) {
    const { options, table } = readSimOptions(raw, field, ["symbols"]);
    return {
      ...options,
      symbols: readInt(table.symbols, `${field}.symbols`, 5, { min: 1, max: SYMBOLS.length }),
    };
  },
  create(config, ctx) {
    const sim = createMarketSimulator({ seed: config.seed, symbols: config.symbols });
    return createSimInput(config, ctx, [
      { kind: "trades", next: sim.nextTrade },
      { kind: "quotes", next: sim.nextQuote },
    ]);
  },
};
