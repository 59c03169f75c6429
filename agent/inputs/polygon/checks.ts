/**
 * The checks every replayed row passes, and what happens when it fails.
 *
 * Rejected (not written; counted in
 * `tributary_agent_input_rejected_total{reason}`):
 * - `clock_skew`: ts before 2000-01-01, or (the shared rule of
 *   ../processors/skew.ts; 0 = no limit on that side) more than
 *   `max_future_s` ahead of the agent clock or `max_past_s` behind it;
 * - `non_positive` (the shared rule of ../processors/market_values.ts): a
 *   trade price or size <= 0; a quote with a negative
 *   price or size, a side with a price but no size, or no side at all (a side
 *   with price 0 and size 0 is an absent side, which Polygon publishes); a bar
 *   with open/high/low/close <= 0 or volume < 0;
 * - `unknown_exchange`: an exchange id outside `exchanges` (on a trade, or on
 *   a quote side that is present);
 * - `bad_bar`: high below low, or open/close outside [low, high];
 * - `out_of_order`: ts earlier than the previous kept row of the same symbol
 *   in the same dataset (bars: not later);
 * - `duplicate_sequence`: a sequence_number not above the previous kept one of
 *   the symbol in the same file (Polygon's numbers increase per ticker and reset daily).
 *
 * Flagged and kept (counted per flag in {@linkcode RowChecks.flags}, logged):
 * - `sequence_gap`: the sequence_number jumped by more than one. Polygon
 *   numbers trades and quotes of a ticker from one sequence, so a trades file
 *   alone shows gaps by design: this is a signal for a feed, not an error;
 * - `outlier`: the price (trade price, quote mid, bar close) moved more than
 *   `outlier_pct` % from the symbol's previous kept row;
 * - `crossed`: a quote whose bid is above its ask.
 *
 * @module
 */
import { quoteValueProblem, tradeValueProblem } from "../processors/market_values.ts";
import type { SkewCheck } from "../processors/skew.ts";
import type { ParsedRow } from "./layouts.ts";

export { EARLIEST_TS_NS } from "../processors/skew.ts";

/** Exchange ids of Polygon's US stock venues (`/v3/reference/exchanges`, 1 to 22). */
export const POLYGON_STOCK_EXCHANGES: readonly number[] = Array.from(
  { length: 22 },
  (_, i) => i + 1,
);

/** Options of {@linkcode RowChecks}. */
export interface CheckOptions {
  /** Known exchange ids. */
  exchanges: ReadonlySet<number>;
  /** Flag a price move larger than this, in percent; 0 turns the flag off. */
  outlierPct: number;
  /** The clock-skew rule (with the 2000-01-01 floor: `EARLIEST_TS_NS`). */
  skew: SkewCheck;
}

/** A flag on a kept row. */
export type Flag = "sequence_gap" | "outlier" | "crossed";

interface SymbolState {
  lastTs: bigint;
  lastSeq: number | undefined;
  lastPrice: number;
}

/** Per-symbol validation state across the files of one replay. */
export class RowChecks {
  /** Kept rows flagged so far, by flag. */
  readonly flags: Record<Flag, number> = { sequence_gap: 0, outlier: 0, crossed: 0 };
  readonly #options: CheckOptions;
  readonly #state = new Map<string, SymbolState>();
  /** Each key's state before its first change since the last commit (undefined: it was new). */
  readonly #undo = new Map<string, SymbolState | undefined>();
  #flagsAtCommit: Record<Flag, number> = { ...this.flags };

  constructor(options: CheckOptions) {
    this.#options = options;
  }

  /** A new file starts: sequence numbers restart (they reset daily), times and prices carry on. */
  startFile(): void {
    for (const [key, state] of this.#state) {
      this.#remember(key, state);
      state.lastSeq = undefined;
    }
  }

  /** The rows checked so far are committed: {@linkcode rollback} returns here. */
  commit(): void {
    this.#undo.clear();
    this.#flagsAtCommit = { ...this.flags };
  }

  /**
   * Forgets every row checked since the last {@linkcode commit} (they will be
   * read again, e.g. after a failed download), so they are not mistaken for
   * repeats or out-of-order rows the second time.
   */
  rollback(): void {
    for (const [key, state] of this.#undo) {
      if (state === undefined) this.#state.delete(key);
      else this.#state.set(key, state);
    }
    this.#undo.clear();
    Object.assign(this.flags, this.#flagsAtCommit);
  }

  #remember(key: string, state: SymbolState | undefined): void {
    if (!this.#undo.has(key)) this.#undo.set(key, state && { ...state });
  }

  /**
   * Checks `parsed` against the agent clock `nowNs`: returns the reject
   * reason, or `undefined` when the row is kept (flags counted, state updated).
   */
  check(parsed: ParsedRow, nowNs: bigint): string | undefined {
    const o = this.#options;
    const ts = parsed.dataset === "trades" || parsed.dataset === "quotes"
      ? parsed.row.ts
      : parsed.ts;
    if (o.skew.skewed(ts, nowNs)) return "clock_skew";

    let price: number;
    let seq: number | undefined;
    let symbol: string;
    let crossed = false;
    if (parsed.dataset === "trades") {
      const t = parsed.row;
      const problem = tradeValueProblem(t);
      if (problem !== undefined) return problem;
      if (!o.exchanges.has(t.exchange)) return "unknown_exchange";
      price = t.price;
      seq = parsed.seq;
      symbol = t.symbol;
    } else if (parsed.dataset === "quotes") {
      const q = parsed.row;
      const problem = quoteValueProblem(q);
      if (problem !== undefined) return problem;
      const bid = q.bid_price > 0;
      const ask = q.ask_price > 0;
      if ((bid && !o.exchanges.has(q.bid_exchange)) || (ask && !o.exchanges.has(q.ask_exchange))) {
        return "unknown_exchange";
      }
      crossed = bid && ask && q.bid_price > q.ask_price;
      price = bid && ask ? (q.bid_price + q.ask_price) / 2 : bid ? q.bid_price : q.ask_price;
      seq = parsed.seq;
      symbol = q.symbol;
    } else {
      const b = parsed;
      if (!(b.open > 0 && b.high > 0 && b.low > 0 && b.close > 0) || b.volume < 0) {
        return "non_positive";
      }
      if (
        b.high < b.low || b.open < b.low || b.open > b.high || b.close < b.low || b.close > b.high
      ) {
        return "bad_bar";
      }
      price = b.close;
      seq = undefined;
      symbol = b.symbol;
    }

    const key = `${parsed.dataset}\u0000${symbol}`;
    const state = this.#state.get(key);
    if (state === undefined) {
      this.#remember(key, undefined);
      this.#state.set(key, { lastTs: ts, lastSeq: seq, lastPrice: price });
      if (crossed) this.flags.crossed++;
      return undefined;
    }
    const bars = parsed.dataset === "minute_aggs" || parsed.dataset === "day_aggs";
    if (ts < state.lastTs || (bars && ts === state.lastTs)) return "out_of_order";
    if (seq !== undefined && state.lastSeq !== undefined) {
      if (seq <= state.lastSeq) return "duplicate_sequence";
      if (seq > state.lastSeq + 1) this.flags.sequence_gap++;
    }
    if (o.outlierPct > 0 && Math.abs(price / state.lastPrice - 1) * 100 > o.outlierPct) {
      this.flags.outlier++;
    }
    if (crossed) this.flags.crossed++;
    this.#remember(key, state);
    state.lastTs = ts;
    if (seq !== undefined) state.lastSeq = seq;
    state.lastPrice = price;
    return undefined;
  }
}
