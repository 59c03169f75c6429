/**
 * Readings for processor tests.
 *
 * @module
 */
import type { Reading } from "@tributary/shared/records";

/** A reading of `sensor`/`metric` = `value` at `tsS` seconds. */
export function reading(
  sensor: string,
  metric: string,
  value: number,
  tsS = 0,
  extra: Partial<Reading> = {},
): Reading {
  const ts = BigInt(tsS) * 1_000_000_000n;
  return { ts, recv_ts: ts, sensor, metric, value, unit: "", tags: "{}", ...extra };
}
