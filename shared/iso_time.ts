/**
 * Timestamps as the hub's JSON answers show them: ISO-8601, UTC, nanosecond
 * precision, so no digit stored in DuckDB is lost on the way out.
 *
 * @module
 */

const NS_PER_SECOND = 1_000_000_000n;

/**
 * Nanoseconds since the epoch as ISO-8601 UTC with nine fractional digits.
 * Years outside 0000-9999 use the extended `±YYYYYY` form of `Date#toISOString`.
 *
 * @example
 * ```ts
 * isoFromNs(1_700_000_000_123_456_789n); // "2023-11-14T22:13:20.123456789Z"
 * ```
 */
export function isoFromNs(ns: bigint): string {
  // Floor division, so that times before 1970 get a positive fraction.
  let seconds = ns / NS_PER_SECOND;
  if (ns < 0n && seconds * NS_PER_SECOND !== ns) seconds -= 1n;
  const fraction = ns - seconds * NS_PER_SECOND;
  const whole = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, "");
  return `${whole}.${fraction.toString().padStart(9, "0")}Z`;
}
