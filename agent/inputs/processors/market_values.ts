/**
 * The value rules every market-data input (`polygon`, `websocket`) applies to
 * trades and quotes, so a row means the same whichever way it arrived:
 *
 * - a trade needs a price and a size above 0;
 * - a quote needs no negative value, at least one side, and a size on every
 *   side that has a price (a side with price 0 and size 0 is absent, as
 *   Polygon publishes one-sided quotes).
 *
 * A row that fails is rejected with reason `non_positive`. Exchange codes,
 * order in time and sequence numbers are each input's own business.
 *
 * @module
 */
import type { Quote, Trade } from "@tributary/shared/records";

/** `"non_positive"` when `t` breaks the trade rule (NaN included), else `undefined`. */
export function tradeValueProblem(t: Pick<Trade, "price" | "size">): "non_positive" | undefined {
  return t.price > 0 && t.size > 0 ? undefined : "non_positive";
}

/** `"non_positive"` when `q` breaks the quote rule (NaN included), else `undefined`. */
export function quoteValueProblem(
  q: Pick<Quote, "bid_price" | "bid_size" | "ask_price" | "ask_size">,
): "non_positive" | undefined {
  if (!(q.bid_price >= 0 && q.bid_size >= 0 && q.ask_price >= 0 && q.ask_size >= 0)) {
    return "non_positive";
  }
  const bid = q.bid_price > 0;
  const ask = q.ask_price > 0;
  if ((!bid && !ask) || (bid && q.bid_size === 0) || (ask && q.ask_size === 0)) {
    return "non_positive";
  }
  return undefined;
}
