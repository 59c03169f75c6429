/**
 * Polygon.io flat-file layouts (`us_stocks_sip`, CSV with a header line) and
 * the parsers that turn one split line into a Tributary record.
 *
 * Columns are found by their header names, so a reordered or extended file
 * still reads; a file whose header matches none of the datasets is refused.
 *
 * | dataset       | S3 prefix                       | becomes                                      |
 * |---------------|---------------------------------|----------------------------------------------|
 * | `trades`      | `us_stocks_sip/trades_v1/`      | `trades` rows (ts = sip_timestamp)           |
 * | `quotes`      | `us_stocks_sip/quotes_v1/`      | `quotes` rows (ts = sip_timestamp)           |
 * | `minute_aggs` | `us_stocks_sip/minute_aggs_v1/` | `readings`: open/high/low/close/volume/transactions per ticker |
 * | `day_aggs`    | `us_stocks_sip/day_aggs_v1/`    | the same, tagged `bar = "1d"`                |
 *
 * @module
 */
import type { Quote, Reading, Trade } from "@tributary/shared/records";

/** A flat-file dataset the replay understands. */
export type Dataset = "trades" | "quotes" | "minute_aggs" | "day_aggs";

/** Every dataset, in config order. */
export const DATASETS: readonly Dataset[] = ["trades", "quotes", "minute_aggs", "day_aggs"];

/** The published column order of each dataset (what the tests generate). */
export const LAYOUTS: Readonly<Record<Dataset, readonly string[]>> = {
  trades: [
    "ticker",
    "conditions",
    "correction",
    "exchange",
    "id",
    "participant_timestamp",
    "price",
    "sequence_number",
    "sip_timestamp",
    "size",
    "tape",
    "trf_id",
    "trf_timestamp",
  ],
  quotes: [
    "ticker",
    "ask_exchange",
    "ask_price",
    "ask_size",
    "bid_exchange",
    "bid_price",
    "bid_size",
    "conditions",
    "indicators",
    "participant_timestamp",
    "sequence_number",
    "sip_timestamp",
    "tape",
    "trf_timestamp",
  ],
  minute_aggs: ["ticker", "volume", "open", "close", "high", "low", "window_start", "transactions"],
  day_aggs: ["ticker", "volume", "open", "close", "high", "low", "window_start", "transactions"],
};

const REQUIRED: Readonly<Record<"trades" | "quotes" | "aggs", readonly string[]>> = {
  trades: ["ticker", "conditions", "exchange", "id", "price", "sip_timestamp", "size"],
  quotes: [
    "ticker",
    "ask_exchange",
    "ask_price",
    "ask_size",
    "bid_exchange",
    "bid_price",
    "bid_size",
    "sip_timestamp",
  ],
  aggs: ["ticker", "volume", "open", "close", "high", "low", "window_start"],
};

/** A trade as read, with what the checks need beyond the record. */
export interface ParsedTrade {
  dataset: "trades";
  row: Trade;
  /** `sequence_number`, when the file has one. */
  seq: number | undefined;
}

/** A quote as read. */
export interface ParsedQuote {
  dataset: "quotes";
  row: Quote;
  seq: number | undefined;
}

/** One aggregate bar as read; it becomes several readings. */
export interface ParsedBar {
  dataset: "minute_aggs" | "day_aggs";
  symbol: string;
  ts: bigint;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** `transactions`, or undefined when the column is absent or empty. */
  transactions: number | undefined;
}

/** Any parsed row. */
export type ParsedRow = ParsedTrade | ParsedQuote | ParsedBar;

/** Parses split fields of one data line; `undefined` means malformed (`bad_line`). */
export type RowParser = (fields: string[], recvTs: bigint) => ParsedRow | undefined;

/** A file's dataset and the parser for its lines. */
export interface FileLayout {
  dataset: Dataset;
  /** Number of columns every line must have. */
  columns: number;
  parse: RowParser;
}

/**
 * Resolves a file's header line to its dataset and parser, or `undefined`
 * when the header is not a Polygon stocks layout. `path` tells minute bars
 * from day bars (`day_aggs` in the path means daily), as the header cannot.
 */
export function layoutFromHeader(header: string[], path: string): FileLayout | undefined {
  const at = new Map(header.map((name, i) => [name.trim(), i]));
  const has = (names: readonly string[]) => names.every((n) => at.has(n));
  const col = (name: string) => at.get(name) ?? -1;
  if (has(REQUIRED.trades)) {
    return { dataset: "trades", columns: header.length, parse: tradeParser(col) };
  }
  if (has(REQUIRED.quotes)) {
    return { dataset: "quotes", columns: header.length, parse: quoteParser(col) };
  }
  if (has(REQUIRED.aggs)) {
    const dataset = /day_aggs/.test(path) ? "day_aggs" : "minute_aggs";
    return { dataset, columns: header.length, parse: barParser(dataset, col) };
  }
  return undefined;
}

function tradeParser(col: (name: string) => number): RowParser {
  const [ticker, conditions, exchange, id, price, sip, size, seq] = [
    col("ticker"),
    col("conditions"),
    col("exchange"),
    col("id"),
    col("price"),
    col("sip_timestamp"),
    col("size"),
    col("sequence_number"),
  ];
  return (f, recvTs) => {
    const ts = nanos(f[sip]);
    const conds = intList(f[conditions]);
    const sequence = optionalInt(f[seq]);
    if (ts === undefined || conds === undefined || sequence === null) return undefined;
    const row: Trade = {
      ts,
      recv_ts: recvTs,
      symbol: f[ticker] ?? "",
      price: num(f[price]),
      size: num(f[size]),
      exchange: int(f[exchange]),
      conditions: conds,
      trade_id: f[id] ?? "",
    };
    if (
      row.symbol === "" || Number.isNaN(row.price) || Number.isNaN(row.size) ||
      Number.isNaN(row.exchange)
    ) return undefined;
    return { dataset: "trades", row, seq: sequence };
  };
}

function quoteParser(col: (name: string) => number): RowParser {
  const c = {
    ticker: col("ticker"),
    askX: col("ask_exchange"),
    askP: col("ask_price"),
    askS: col("ask_size"),
    bidX: col("bid_exchange"),
    bidP: col("bid_price"),
    bidS: col("bid_size"),
    sip: col("sip_timestamp"),
    seq: col("sequence_number"),
  };
  return (f, recvTs) => {
    const ts = nanos(f[c.sip]);
    const row: Quote = {
      ts: ts ?? 0n,
      recv_ts: recvTs,
      symbol: f[c.ticker] ?? "",
      bid_price: num(f[c.bidP]),
      bid_size: num(f[c.bidS]),
      ask_price: num(f[c.askP]),
      ask_size: num(f[c.askS]),
      bid_exchange: int(f[c.bidX]),
      ask_exchange: int(f[c.askX]),
    };
    const sequence = optionalInt(f[c.seq]);
    if (
      ts === undefined || row.symbol === "" || sequence === null ||
      [row.bid_price, row.bid_size, row.ask_price, row.ask_size, row.bid_exchange, row.ask_exchange]
        .some(Number.isNaN)
    ) return undefined;
    return { dataset: "quotes", row, seq: sequence };
  };
}

function barParser(dataset: "minute_aggs" | "day_aggs", col: (name: string) => number): RowParser {
  const c = {
    ticker: col("ticker"),
    volume: col("volume"),
    open: col("open"),
    close: col("close"),
    high: col("high"),
    low: col("low"),
    start: col("window_start"),
    transactions: col("transactions"),
  };
  return (f) => {
    const ts = nanos(f[c.start]);
    const bar: ParsedBar = {
      dataset,
      symbol: f[c.ticker] ?? "",
      ts: ts ?? 0n,
      open: num(f[c.open]),
      high: num(f[c.high]),
      low: num(f[c.low]),
      close: num(f[c.close]),
      volume: num(f[c.volume]),
      transactions: optionalInt(f[c.transactions]) ?? undefined,
    };
    if (
      ts === undefined || bar.symbol === "" ||
      [bar.open, bar.high, bar.low, bar.close, bar.volume].some(Number.isNaN) ||
      optionalInt(f[c.transactions]) === null
    ) return undefined;
    return bar;
  };
}

/** The readings one bar becomes: one per measure, all at the bar's window start. */
export function barReadings(bar: ParsedBar, recvTs: bigint): Reading[] {
  const tags = JSON.stringify({ source: "polygon", bar: bar.dataset === "day_aggs" ? "1d" : "1m" });
  const reading = (metric: string, value: number, unit: string): Reading => ({
    ts: bar.ts,
    recv_ts: recvTs,
    sensor: bar.symbol,
    metric,
    value,
    unit,
    tags,
  });
  const out = [
    reading("open", bar.open, "USD"),
    reading("high", bar.high, "USD"),
    reading("low", bar.low, "USD"),
    reading("close", bar.close, "USD"),
    reading("volume", bar.volume, "shares"),
  ];
  if (bar.transactions !== undefined) out.push(reading("transactions", bar.transactions, ""));
  return out;
}

const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const INTEGER = /^-?\d{1,10}$/;
const NANOS = /^\d{1,19}$/;

/** A decimal number, or NaN (never `Number("")` = 0). */
function num(text: string | undefined): number {
  return text !== undefined && DECIMAL.test(text) ? Number(text) : NaN;
}

/** A 32-bit integer, or NaN. */
function int(text: string | undefined): number {
  if (text === undefined || !INTEGER.test(text)) return NaN;
  const n = Number(text);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : NaN;
}

/** An optional integer: undefined when absent or empty, null when malformed. */
function optionalInt(text: string | undefined): number | undefined | null {
  if (text === undefined || text === "") return undefined;
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}

/** Nanoseconds since the epoch as bigint, or undefined. */
function nanos(text: string | undefined): bigint | undefined {
  return text !== undefined && NANOS.test(text) ? BigInt(text) : undefined;
}

/** `"12,37"` → [12, 37]; `""` → []; undefined when malformed. */
function intList(text: string | undefined): number[] | undefined {
  if (text === undefined || text === "") return [];
  const out: number[] = [];
  for (const part of text.split(",")) {
    const n = int(part.trim());
    if (Number.isNaN(n)) return undefined;
    out.push(n);
  }
  return out;
}
