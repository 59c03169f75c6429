/**
 * Rows of each kind for buffer tests: row `i` has ts and recv_ts `i`; its
 * text and numbers derive from `i`, so a test can tell rows apart after a
 * round trip. One parameter each, so `indices(1, 5).map(reading)` works.
 *
 * @module
 */
import type { LogLine, Quote, Reading, Trade } from "@tributary/shared/records";

/** A temperature reading of sensor `s-<i>` with value `i`. */
export const reading = (i: number): Reading => ({
  ts: BigInt(i),
  recv_ts: BigInt(i),
  sensor: `s-${i}`,
  metric: "temperature",
  value: i,
  unit: "degC",
  tags: `{"i":"${i}"}`,
});

/** An info line `line <i>` from source `app`. */
export const logLine = (i: number): LogLine => ({
  ts: BigInt(i),
  recv_ts: BigInt(i),
  source: "app",
  level: "info",
  message: `line ${i}`,
  fields: `{"n":${i}}`,
});

/** A MSFT trade with id `t<i>`. */
export const trade = (i: number): Trade => ({
  ts: BigInt(i),
  recv_ts: BigInt(i),
  symbol: "MSFT",
  price: 400 + i,
  size: 100,
  exchange: 12,
  conditions: [14],
  trade_id: `t${i}`,
});

/** A MSFT quote. */
export const quote = (i: number): Quote => ({
  ts: BigInt(i),
  recv_ts: BigInt(i),
  symbol: "MSFT",
  bid_price: 399,
  bid_size: 1,
  ask_price: 401,
  ask_size: 2,
  bid_exchange: 1,
  ask_exchange: 2,
});

/** `count` consecutive integers from `from`. */
export function indices(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}
