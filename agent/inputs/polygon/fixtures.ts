/**
 * Generated Polygon flat files for tests and the bench: small CSV.gz files in
 * the published column order of `us_stocks_sip` (see {@linkcode LAYOUTS}),
 * with deterministic, valid rows.
 *
 * @module
 */
import { LAYOUTS } from "./layouts.ts";

/** 2024-04-05T14:30:00Z in ns, a trading-day morning. */
export const FIXTURE_START_NS = 1_712_327_400_000_000_000n;

/** Options of {@linkcode tradeLines} and {@linkcode quoteLines}. */
export interface FixtureOptions {
  /** Data lines to produce. */
  rows: number;
  /** Tickers, rows spread round-robin then sorted per ticker like Polygon's files. @default ["AAPL", "MSFT"] */
  tickers?: string[];
  /** First sip_timestamp. @default FIXTURE_START_NS */
  startNs?: bigint;
}

/** The CSV lines (header first) of a trades_v1 file; trade ids are `T<n>`, unique. */
export function tradeLines(options: FixtureOptions): string[] {
  const tickers = options.tickers ?? ["AAPL", "MSFT"];
  const start = options.startNs ?? FIXTURE_START_NS;
  const lines = [LAYOUTS.trades.join(",")];
  const perTicker = Math.ceil(options.rows / tickers.length);
  let n = 0;
  for (const [t, ticker] of tickers.entries()) {
    for (let i = 0; i < perTicker && n < options.rows; i++, n++) {
      const ts = start + BigInt(i) * 1_000_000n;
      const price = (100 + t * 50 + (i % 7) * 0.01).toFixed(2);
      const conditions = i % 3 === 0 ? '"12,37"' : i % 3 === 1 ? "" : "14";
      const size = i % 4 === 0 ? 37 : 100;
      // ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp
      lines.push(
        `${ticker},${conditions},0,${[4, 12, 10, 11][i % 4]},T${n},${ts - 20_000n},${price},${
          i + 1
        },${ts},${size},3,0,0`,
      );
    }
  }
  return lines;
}

/** The CSV lines (header first) of a quotes_v1 file. */
export function quoteLines(options: FixtureOptions): string[] {
  const tickers = options.tickers ?? ["AAPL", "MSFT"];
  const start = options.startNs ?? FIXTURE_START_NS;
  const lines = [LAYOUTS.quotes.join(",")];
  const perTicker = Math.ceil(options.rows / tickers.length);
  let n = 0;
  for (const [t, ticker] of tickers.entries()) {
    for (let i = 0; i < perTicker && n < options.rows; i++, n++) {
      const ts = start + BigInt(i) * 1_000_000n;
      const bid = 100 + t * 50 + (i % 5) * 0.01;
      // ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,conditions,indicators,participant_timestamp,sequence_number,sip_timestamp,tape,trf_timestamp
      lines.push(
        `${ticker},12,${(bid + 0.02).toFixed(2)},${100 + i % 3 * 100},11,${bid.toFixed(2)},200,1,,${
          ts - 10_000n
        },${i + 1},${ts},3,0`,
      );
    }
  }
  return lines;
}

/** The CSV lines (header first) of a minute_aggs_v1 (or day_aggs_v1) file. */
export function barLines(options: FixtureOptions & { stepNs?: bigint }): string[] {
  const tickers = options.tickers ?? ["AAPL", "MSFT"];
  const start = options.startNs ?? FIXTURE_START_NS;
  const step = options.stepNs ?? 60_000_000_000n;
  const lines = [LAYOUTS.minute_aggs.join(",")];
  const perTicker = Math.ceil(options.rows / tickers.length);
  let n = 0;
  for (const ticker of tickers) {
    for (let i = 0; i < perTicker && n < options.rows; i++, n++) {
      const o = 100 + (i % 4) * 0.1;
      // ticker,volume,open,close,high,low,window_start,transactions
      lines.push(
        `${ticker},${1000 + i},${o.toFixed(2)},${(o + 0.05).toFixed(2)},${(o + 0.2).toFixed(2)},${
          (o - 0.1).toFixed(2)
        },${start + BigInt(i) * step},${10 + i}`,
      );
    }
  }
  return lines;
}

/** Gzips `text` (a CompressionStream, as Polygon's files are plain gzip). */
export async function gzip(text: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : new Uint8Array(text);
  const stream = ReadableStream.from<BufferSource>([bytes]).pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Writes `lines` (newline-terminated) gzipped to `path`, creating folders. */
export async function writeGzFile(path: string, lines: string[] | Uint8Array): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const body = Array.isArray(lines) ? lines.join("\n") + "\n" : lines;
  await Deno.writeFile(path, await gzip(body));
}
