/**
 * Polls a condition until it holds, for tests that wait on another process.
 *
 * @module
 */
import { delay } from "./_timeout.ts";

/** Options of {@linkcode waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @default 10_000 */
  timeoutMs?: number;
  /** Pause between two checks. @default 50 */
  intervalMs?: number;
  /** What was awaited, for the timeout message. @default "condition" */
  message?: string;
}

/** A value `waitFor` accepts as "done". */
export type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;

/**
 * Calls `predicate` until it returns (or resolves to) a truthy value, and
 * returns that value. A predicate that throws counts as "not yet"; its last
 * error goes into the timeout message. Each call must itself be bounded
 * (e.g. use the timeouts of ./http.ts).
 *
 * @example
 * ```ts
 * const body = await waitFor(async () => {
 *   const res = await getJson(`${hub}/api/v1/agents`);
 *   return res.status === 200 ? res.body : undefined;
 * }, { timeoutMs: 5_000, message: "agents listed" });
 * ```
 *
 * @throws {Error} `"<message>: not met within <timeoutMs> ms"`, with the last error if any.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Truthy<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  while (true) {
    attempts += 1;
    try {
      const value = await predicate();
      if (value) return value as Truthy<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await delay(Math.min(intervalMs, remaining));
  }
  const detail = lastError === undefined
    ? ""
    : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
  throw new Error(
    `${
      options.message ?? "condition"
    }: not met within ${timeoutMs} ms (${attempts} checks)${detail}`,
  );
}
