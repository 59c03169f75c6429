/**
 * Turns decoded JSON messages into trades and quotes through the configured
 * field paths, checking every record: a message is one object or an array of
 * objects (Polygon sends arrays); elements whose type field is neither the
 * trade nor the quote value (status messages, other events) are ignored.
 *
 * Reject reasons: `bad_record` (not an object, a required field missing or of
 * the wrong type), `non_positive` (trade price or size <= 0; a quote with a
 * negative value, a priced side without size, or no side: the shared rule of
 * ../processors/market_values.ts), `clock_skew`
 * (outside the window around the agent clock, or before 2000-01-01: the
 * shared rule of ../processors/skew.ts).
 *
 * @module
 */
import type { Quote, Trade } from "@tributary/shared/records";
import { quoteValueProblem, tradeValueProblem } from "../processors/market_values.ts";
import type { SkewCheck } from "../processors/skew.ts";
import type { MappingConfig, TsUnit } from "./config.ts";
import { compilePath, type FieldPath, getPath } from "./paths.ts";

/** One element of a message, mapped. */
export type Mapped =
  | { kind: "trades"; row: Trade; symbol: string; seq: number | undefined }
  | { kind: "quotes"; row: Quote; symbol: string; seq: number | undefined }
  | { reject: string }
  | { ignored: true };

const NS_PER: Readonly<Record<TsUnit, bigint>> = {
  s: 1_000_000_000n,
  ms: 1_000_000n,
  us: 1_000n,
  ns: 1n,
};

const compile = (text: string): FieldPath | undefined =>
  text === "" ? undefined : compilePath(text);

type TradePaths = Record<keyof MappingConfig["trade"], FieldPath | undefined>;
type QuotePaths = Record<keyof MappingConfig["quote"], FieldPath | undefined>;

/** Maps messages with one {@linkcode MappingConfig}. */
export class MessageMapper {
  readonly #type: FieldPath;
  readonly #tradeType: string;
  readonly #quoteType: string;
  readonly #unit: TsUnit;
  readonly #seq: FieldPath | undefined;
  readonly #t: TradePaths;
  readonly #q: QuotePaths;
  readonly #skew: SkewCheck;

  /** `skew`: the shared clock-skew rule (../processors/skew.ts), with its 2000-01-01 floor. */
  constructor(mapping: MappingConfig, skew: SkewCheck) {
    this.#type = compilePath(mapping.type_path)!;
    this.#tradeType = mapping.trade_type;
    this.#quoteType = mapping.quote_type;
    this.#unit = mapping.ts_unit;
    this.#seq = compile(mapping.sequence_path);
    this.#t = Object.fromEntries(
      Object.entries(mapping.trade).map(([k, v]) => [k, compile(v)]),
    ) as TradePaths;
    this.#q = Object.fromEntries(
      Object.entries(mapping.quote).map(([k, v]) => [k, compile(v)]),
    ) as QuotePaths;
    this.#skew = skew;
  }

  /** Maps every element of `message` (an object or an array of them) into `out`. */
  map(message: unknown, nowNs: bigint, out: Mapped[]): void {
    if (Array.isArray(message)) {
      for (const element of message) out.push(this.#one(element, nowNs));
    } else out.push(this.#one(message, nowNs));
  }

  #one(element: unknown, now: bigint): Mapped {
    if (element === null || typeof element !== "object" || Array.isArray(element)) {
      return { reject: "bad_record" };
    }
    const type = getPath(element, this.#type);
    if (type === this.#tradeType) return this.#trade(element, now);
    if (type === this.#quoteType) return this.#quote(element, now);
    return { ignored: true };
  }

  #trade(e: object, now: bigint): Mapped {
    const t = this.#t;
    const symbol = text(get(e, t.symbol));
    const price = number(get(e, t.price));
    const size = number(get(e, t.size));
    const exchange = optionalInt(get(e, t.exchange));
    const conditions = intList(get(e, t.conditions));
    const tradeId = get(e, t.trade_id);
    const ts = this.#ts(get(e, t.ts));
    const seq = this.#sequence(e);
    if (
      symbol === undefined || price === undefined || size === undefined || exchange === undefined ||
      conditions === undefined || ts === undefined || seq === null ||
      (tradeId !== undefined && typeof tradeId !== "string" && typeof tradeId !== "number")
    ) return { reject: "bad_record" };
    const problem = tradeValueProblem({ price, size });
    if (problem !== undefined) return { reject: problem };
    if (this.#skewed(ts, now)) return { reject: "clock_skew" };
    return {
      kind: "trades",
      symbol,
      seq,
      row: {
        ts,
        recv_ts: now,
        symbol,
        price,
        size,
        exchange,
        conditions,
        trade_id: tradeId === undefined ? "" : String(tradeId),
      },
    };
  }

  #quote(e: object, now: bigint): Mapped {
    const q = this.#q;
    const symbol = text(get(e, q.symbol));
    const bidPrice = number(get(e, q.bid_price));
    const bidSize = number(get(e, q.bid_size));
    const askPrice = number(get(e, q.ask_price));
    const askSize = number(get(e, q.ask_size));
    const bidExchange = optionalInt(get(e, q.bid_exchange));
    const askExchange = optionalInt(get(e, q.ask_exchange));
    const ts = this.#ts(get(e, q.ts));
    const seq = this.#sequence(e);
    if (
      symbol === undefined || bidPrice === undefined || bidSize === undefined ||
      askPrice === undefined || askSize === undefined || bidExchange === undefined ||
      askExchange === undefined || ts === undefined || seq === null
    ) return { reject: "bad_record" };
    const problem = quoteValueProblem({
      bid_price: bidPrice,
      bid_size: bidSize,
      ask_price: askPrice,
      ask_size: askSize,
    });
    if (problem !== undefined) return { reject: problem };
    if (this.#skewed(ts, now)) return { reject: "clock_skew" };
    return {
      kind: "quotes",
      symbol,
      seq,
      row: {
        ts,
        recv_ts: now,
        symbol,
        bid_price: bidPrice,
        bid_size: bidSize,
        ask_price: askPrice,
        ask_size: askSize,
        bid_exchange: bidExchange,
        ask_exchange: askExchange,
      },
    };
  }

  /** A timestamp in the configured unit (a number, or a string of digits for exact ns) as ns. */
  #ts(value: unknown): bigint | undefined {
    if (typeof value === "string" && /^\d{1,20}$/.test(value)) {
      return BigInt(value) * NS_PER[this.#unit];
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return undefined;
    if (this.#unit === "ns") return BigInt(Math.round(value));
    // Keep sub-unit digits (e.g. fractional ms) down to the microsecond.
    return BigInt(Math.round(value * 1000)) * NS_PER[this.#unit] / 1000n;
  }

  /** The sequence number: undefined when not configured or absent, null when malformed. */
  #sequence(e: object): number | undefined | null {
    if (this.#seq === undefined) return undefined;
    const value = getPath(e, this.#seq);
    if (value === undefined) return undefined;
    return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
  }

  #skewed(ts: bigint, now: bigint): boolean {
    return this.#skew.skewed(ts, now);
  }
}

function get(e: object, path: FieldPath | undefined): unknown {
  return path === undefined ? undefined : getPath(e, path);
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** An int32, 0 when absent, undefined when malformed. */
function optionalInt(value: unknown): number | undefined {
  if (value === undefined) return 0;
  return typeof value === "number" && Number.isInteger(value) && value >= -(2 ** 31) &&
      value < 2 ** 31
    ? value
    : undefined;
}

/** A list of int32, [] when absent, undefined when malformed. */
function intList(value: unknown): number[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return undefined;
  for (const v of value) if (optionalInt(v) === undefined || v === undefined) return undefined;
  return value as number[];
}
