/**
 * The clock-skew rule every input with source timestamps applies: a record
 * whose event time is more than `max_future_s` ahead of the agent's clock or
 * more than `max_past_s` behind it is rejected with reason `clock_skew`
 * (counted in `tributary_agent_input_rejected_total`), because a device with
 * a wrong clock would otherwise put its data years away from where anyone
 * looks, and the hub's time-partitioned tables would grow without bound.
 * `0` turns a side of the check off.
 *
 * Inputs whose records can never predate this century (market data) also
 * pass `{ earliestNs: EARLIEST_TS_NS }`: a zero or garbage timestamp is then
 * skew even when `max_past_s = 0` (replaying history without a limit).
 *
 * @module
 */
import { readInt, type Table } from "@tributary/shared/config/fields";

/** The accepted window around the agent's clock, in seconds. */
export interface SkewWindow {
  /** Most seconds a record may lie in the future; 0 = no limit. @default 300 */
  max_future_s: number;
  /** Most seconds a record may lie in the past; 0 = no limit. @default 604800 (7 days) */
  max_past_s: number;
}

/** The default window: 5 minutes ahead, 7 days behind. */
export function defaultSkewWindow(): SkewWindow {
  return { max_future_s: 300, max_past_s: 7 * 86_400 };
}

/**
 * Reads `max_future_s` and `max_past_s` of an input's table.
 *
 * @throws {ConfigError} naming e.g. `inputs[0].max_future_s`.
 */
export function readSkewWindow(
  table: Table,
  field: string,
  defaults: SkewWindow = defaultSkewWindow(),
): SkewWindow {
  const d = defaults;
  return {
    max_future_s: readInt(table.max_future_s, `${field}.max_future_s`, d.max_future_s, {
      min: 0,
      max: 100 * 365 * 86_400,
    }),
    max_past_s: readInt(table.max_past_s, `${field}.max_past_s`, d.max_past_s, {
      min: 0,
      max: 100 * 365 * 86_400,
    }),
  };
}

const NS_PER_S = 1_000_000_000n;

/** A compiled window: checks event times against a given "now". */
export interface SkewCheck {
  /** True when `ts` (ns) is outside the window around `now` (ns). */
  skewed(ts: bigint, now: bigint): boolean;
}

/** 2000-01-01T00:00:00Z in ns: the floor market-data inputs pass as `earliestNs`. */
export const EARLIEST_TS_NS = 946_684_800_000_000_000n;

/** Options of {@linkcode skewCheck}. */
export interface SkewCheckOptions {
  /** Event times before this (ns since the epoch) are skewed whatever the window. */
  earliestNs?: bigint;
}

/**
 * Compiles `window` into a check.
 *
 * @example
 * ```ts
 * const check = skewCheck({ max_future_s: 300, max_past_s: 0 }, { earliestNs: EARLIEST_TS_NS });
 * check.skewed(0n, nowNs()); // true: before 2000
 * ```
 */
export function skewCheck(window: SkewWindow, options: SkewCheckOptions = {}): SkewCheck {
  const future = BigInt(window.max_future_s) * NS_PER_S;
  const past = BigInt(window.max_past_s) * NS_PER_S;
  const earliest = options.earliestNs;
  return {
    skewed: (ts, now) =>
      (earliest !== undefined && ts < earliest) ||
      (window.max_future_s > 0 && ts > now + future) ||
      (window.max_past_s > 0 && ts < now - past),
  };
}
