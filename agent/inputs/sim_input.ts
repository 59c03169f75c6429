/**
 * The running part every simulator shares: one ticker per kind, stamping each
 * generated row with the wall clock (ts = recv_ts = now, in ns).
 *
 * Each kind's row index is committed with its rows as a checkpoint named
 * after the kind; after a restart (or a SIGKILL) the simulator regenerates
 * the same deterministic sequence up to that index and continues from there,
 * so `limit` counts rows over every run and no row is written twice.
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
  /** Resolves when every stream reached `limit` rows in total (never when limit is 0). */
  readonly done: Promise<void>;
  /** Rows written so far, per kind, earlier runs included (known once started). */
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
  let starting: Promise<void> | undefined;

  const start = async () => {
    // Resume each stream where its committed rows end: its checkpoint (named
    // after the kind) is written in the same transaction as the rows.
    const starts = await Promise.all(streams.map((s) => resumeIndex(ctx, s.kind)));
    if (stopped) return;
    tickers = streams.map((stream, i) => {
      const from = starts[i]!;
      for (let n = 0; n < from; n++) stream.next();
      if (from > 0) {
        ctx.log.info("simulator resumes from its checkpoint", { kind: stream.kind, row: from });
      }
      return {
        kind: stream.kind as Kind,
        ticker: startTicker({
          rate: options.rate,
          limit: options.limit,
          start: from,
          tickMs: options.tick_ms,
          produce: () => {
            const ts = nowNs();
            return { ...stream.next(), ts, recv_ts: ts };
          },
          write: (rows, next) =>
            ctx.write(stream.kind, rows, { name: stream.kind, position: String(next) }),
          log: ctx.log,
        }),
      };
    });
    Promise.all(tickers.map((t) => t.ticker.done)).then(() => {
      if (!stopped) ctx.log.info("simulator reached its limit", { limit: options.limit });
      finish();
    });
  };

  return {
    done,
    written() {
      const out: Partial<Record<Kind, number>> = {};
      for (const t of tickers) out[t.kind] = t.ticker.written;
      return out;
    },
    start() {
      if (stopped) return Promise.resolve();
      return starting ??= start();
    },
    async stop() {
      stopped = true;
      await starting?.catch(() => {});
      await Promise.all(tickers.map((t) => t.ticker.stop()));
      finish();
    },
  };
}

/** The row index a stream resumes from: its checkpoint, or 0. */
async function resumeIndex(ctx: InputContext, kind: Kind): Promise<number> {
  const position = await ctx.readCheckpoint(kind);
  if (position === undefined) return 0;
  const index = Number(position);
  if (!Number.isSafeInteger(index) || index < 0 || !/^\d+$/.test(position)) {
    ctx.log.error("ignoring a bad checkpoint; starting the sequence again", {
      kind,
      position,
      expected: "a row index >= 0",
    });
    return 0;
  }
  return index;
}
