/**
 * How cold objects are named and cut: one object per kind and UTC hour of
 * `ts` (later merged by compaction), Hive-partitioned as
 * `kind=<kind>/date=<YYYY-MM-DD>/` or, for `partition = "hour"`,
 * `kind=<kind>/date=<YYYY-MM-DD>/hour=<HH>/`, and the sort order inside.
 *
 * @module
 */
import type { Kind } from "@tributary/shared/records";

/** Nanoseconds in one hour. */
export const HOUR_NS = 3_600_000_000_000n;
/** Nanoseconds in one day. */
export const DAY_NS = 24n * HOUR_NS;

/**
 * Columns each kind is sorted by inside a Parquet file, before `ts`: rows of
 * one series sit together, so row-group statistics prune well and
 * dictionary and delta encodings compress well.
 */
export const SORT_KEYS: Readonly<Record<Kind, readonly string[]>> = {
  readings: ["agent", "sensor", "metric"],
  logs: ["agent", "source", "level"],
  trades: ["symbol"],
  quotes: ["symbol"],
};

/** `ns` rounded down to a whole UTC hour. */
export function floorHour(ns: bigint): bigint {
  const r = ns % HOUR_NS;
  return r >= 0n ? ns - r : ns - r - HOUR_NS;
}

/** The UTC date `YYYY-MM-DD` and hour `HH` of `ns`. */
export function dateHour(ns: bigint): { date: string; hour: string } {
  const iso = new Date(Number(floorHour(ns) / 1_000_000n)).toISOString();
  return { date: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/**
 * The partition folder of rows at `ns`, e.g. `kind=readings/date=2026-11-20/`.
 *
 * @example
 * ```ts
 * partitionPrefix("trades", 0n, "hour"); // "kind=trades/date=1970-01-01/hour=00/"
 * ```
 */
export function partitionPrefix(kind: Kind, ns: bigint, partition: "date" | "hour"): string {
  const { date, hour } = dateHour(ns);
  return partition === "hour"
    ? `kind=${kind}/date=${date}/hour=${hour}/`
    : `kind=${kind}/date=${date}/`;
}

/**
 * A new object key in the partition of `startNs`: the hour it starts at and a
 * random suffix, so keys never collide (two hubs, a retried pass, compaction).
 */
export function objectKey(
  kind: Kind,
  startNs: bigint,
  partition: "date" | "hour",
  label = "part",
): string {
  const { hour } = dateHour(startNs);
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  return `${partitionPrefix(kind, startNs, partition)}${label}-${hour}00-${id}.parquet`;
}
