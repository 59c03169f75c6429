/**
 * Candle maths for the market panel: rows from {@linkcode candlesSql} into
 * columns for the chart, and a running VWAP over the window.
 *
 * @module
 */

/** Candles as parallel arrays, the shape uPlot draws from. */
export interface Candles {
  /** Bucket start, seconds since the epoch. */
  t: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
  /** Volume-weighted average price from the first candle of the window to each candle. */
  vwap: number[];
}

/**
 * Builds {@linkcode Candles} from query rows `[t_ms, open, high, low, close,
 * volume, pv]`; rows with a non-numeric field are skipped.
 *
 * @example
 * ```ts
 * candlesFromRows([[1000, 10, 11, 9, 10.5, 100, 1050]]).vwap; // [10.5]
 * ```
 */
export function candlesFromRows(rows: readonly unknown[][]): Candles {
  const out: Candles = { t: [], open: [], high: [], low: [], close: [], volume: [], vwap: [] };
  let pv = 0;
  let volume = 0;
  for (const row of rows) {
    const values = row.slice(0, 7).map(Number);
    if (values.length < 7 || values.some((v) => !Number.isFinite(v))) continue;
    const [tMs, open, high, low, close, v, rowPv] = values as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    pv += rowPv;
    volume += v;
    out.t.push(tMs / 1000);
    out.open.push(open);
    out.high.push(high);
    out.low.push(low);
    out.close.push(close);
    out.volume.push(v);
    out.vwap.push(volume > 0 ? pv / volume : close);
  }
  return out;
}
