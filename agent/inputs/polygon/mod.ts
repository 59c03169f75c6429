/**
 * `polygon`: replays Polygon.io flat files (`us_stocks_sip` trades, quotes,
 * minute and day aggregates; CSV.gz) from a local folder or an S3 bucket into
 * the buffer, resumable after a crash. Options, row checks and mapping: see
 * README.md beside this file.
 *
 * @module
 */
import type { Input, InputFactory } from "../input.ts";
import { defaultPolygonConfig, type PolygonConfig, validatePolygonConfig } from "./config.ts";
import { createProgress } from "./progress.ts";
import { Replay, type ReplayStats } from "./replay.ts";
import { type FileSource, localSource, s3Source } from "./source.ts";

export type { PolygonConfig } from "./config.ts";
export { CHECKPOINT_NAME, parsePosition, type ReplayPosition, type ReplayStats } from "./replay.ts";
export { type Dataset, LAYOUTS } from "./layouts.ts";

/** A running replay. */
export interface PolygonInput extends Input {
  /** Resolves when every file was replayed (never with `poll_s` > 0), or the input stopped. */
  readonly done: Promise<void>;
  /** Figures of this process's replay so far. */
  stats(): ReplayStats;
}

/** Options of {@linkcode createPolygonInput} beyond the config, for tests. */
export interface PolygonInputOptions {
  /** Replaces the source the config names. */
  source?: FileSource;
  /** Receives the progress text instead of stderr. */
  progressWrite?: (text: string) => void;
}

/** The `polygon` input factory. */
export const polygon: InputFactory<PolygonConfig, PolygonInput> = {
  type: "polygon",
  defaultConfig: defaultPolygonConfig,
  validate: validatePolygonConfig,
  create: (config, ctx) => createPolygonInput(config, ctx),
};

/** Builds a `polygon` input; see {@linkcode polygon}. */
export function createPolygonInput(
  config: PolygonConfig,
  ctx: Parameters<typeof polygon.create>[1],
  options: PolygonInputOptions = {},
): PolygonInput {
  const source = options.source ??
    (config.source === "s3" ? s3Source(config.s3) : localSource(config.path));
  const progress = createProgress({ enabled: config.progress, write: options.progressWrite });
  const replay = new Replay(config, ctx, source, progress);
  let running: Promise<void> | undefined;
  let stopped = false;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => finish = resolve);
  return {
    done,
    stats: () => replay.stats,
    start() {
      if (stopped || running !== undefined) return Promise.resolve();
      running = replay.run().finally(finish);
      return Promise.resolve();
    },
    async stop() {
      if (stopped) return await running;
      stopped = true;
      replay.stop();
      await running;
      source.close();
      finish();
    },
  };
}
