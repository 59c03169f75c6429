/**
 * The running part every simulator shares: one ticker per kind, stamping each
 * generated row with the wall clock (ts = recv_ts = now, in ns).
 *
 * @module
 */
import { type Kind, nowNs, type RowOf } from "@tributary/shared/records";
import type { Input, InputContext } from "./input.ts";
import type { SimOptions } from "./sim_options.ts";
import { startTicker, type Ticker } from "./ticker.ts";

/** One simulated stream: its kind and a generator of rows without timestamps. */
export interface SimStream<K extends Kind> {
  kind: K;
  next: () => Omit<RowOf[K], "ts" | "recv_ts">;
}

/** A simulator input; `done` resolves once every stream reached `limit`. */
export interface SimInput extends Input {
  /** Resolves when every stream wrote `limit` rows (never when limit is 0). */
  readonly done: Promise<void>;
  /** Rows written so far, per kind. */
  written(): Partial<Record<Kind, number>>;
}

/**
 * Builds a simulator input writing `streams` through `ctx` at `options.rate`
 * rows per second each, up to `options.limit` rows each.
 */
export function createSimInput(
  options: SimOptions,
  ctx: InputContext,
  // deno-lint-ignore no-explicit-any -- a heterogeneous list of streams; each is typed where built
  streams: readonly SimStream<any>[],
): SimInput {
  let tickers: { kind: Kind; ticker: Ticker }[] = [];
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => finish = resolve);
  let stopped = false;
  return {
    done,
    written() {
      const out: Partial<Record<Kind, number>> = {};
      for (const t of tickers) out[t.kind] = t.ticker.written;
      return out;
    },
    start() {
      if (stopped || tickers.length > 0) return Promise.resolve();
      tickers = streams.map((stream) => ({
        kind: stream.kind as Kind,
        ticker: startTicker({
          rate: options.rate,
          limit: options.limit,
          tickMs: options.tick_ms,
          produce: () => {
            const ts = nowNs();
            return { ...stream.next(), ts, recv_ts: ts };
          },
          write: (rows) => ctx.write(stream.kind, rows),
          log: ctx.log,
        }),
      }));
      Promise.all(tickers.map((t) => t.ticker.done)).then(() => {
        if (!stopped) ctx.log.info("simulator reached its limit", { limit: options.limit });
        finish();
      });
      return Promise.resolve();
    },
    async stop() {
      stopped = true;
      await Promise.all(tickers.map((t) => t.ticker.stop()));
      finish();
    },
  };
}
