/**
 * `tail`: follows log files matched by globs and writes each line (or each
 * multi-line record) to the `logs` stream, committing the byte offset of each
 * file in the same buffer transaction as its rows. Options and behaviour:
 * README.md beside this file.
 *
 * @module
 */
import { glob } from "node:fs/promises";
import { resolve } from "node:path";
import { backoffDelay } from "../../backoff.ts";
import type { Input, InputContext, InputFactory } from "../input.ts";
import { defaultTailConfig, type TailConfig, validateTailConfig } from "./config.ts";
import { FileTailer } from "./file_tailer.ts";

export { defaultTailConfig, type TailConfig, validateTailConfig } from "./config.ts";

/** A running tail input. */
export interface TailInput extends Input {
  /** Paths followed right now. */
  files(): string[];
}

/** The `tail` input factory. */
export const tail: InputFactory<TailConfig, TailInput> = {
  type: "tail",
  defaultConfig: defaultTailConfig,
  validate: validateTailConfig,
  create: (config, ctx) => createTailInput(config, ctx),
};

/** Expands the globs to absolute paths of existing entries, sorted. */
export async function expandGlobs(patterns: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    for await (const path of glob(pattern)) found.add(resolve(path));
  }
  return [...found].sort();
}

function createTailInput(config: TailConfig, ctx: InputContext): TailInput {
  const tailers = new Map<string, FileTailer>();
  /** Paths found at start whose opening failed: opened later as at start. */
  const notYetOpened = new Set<string>();
  /** Paths whose opening failed and was logged. */
  const unopenable = new Set<string>();
  let stopped = false;
  let starting: Promise<void> | undefined;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let nextRescan = 0;
  let failures = 0;

  const sleep = (ms: number) =>
    new Promise<void>((done) => {
      const timer = setTimeout(() => {
        wake = undefined;
        done();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        done();
      };
    });

  const open = async (path: string, initial: boolean) => {
    try {
      const tailer = await FileTailer.open(path, config, ctx, { initial });
      notYetOpened.delete(path);
      if (tailer === undefined) return;
      if (stopped) {
        tailer.close();
        return;
      }
      tailers.set(path, tailer);
      unopenable.delete(path);
      ctx.log.info("following file", { path, offset: tailer.offset });
    } catch (error) {
      if (initial) notYetOpened.add(path);
      // Once per path (it is retried every rescan_ms), e.g. a file without read permission.
      if (!unopenable.has(path)) {
        unopenable.add(path);
        ctx.log.warn("cannot open file yet; retrying every rescan", { path, error: String(error) });
      }
    }
  };

  const rescan = async (initial: boolean) => {
    let paths: string[];
    try {
      paths = await expandGlobs(config.paths);
    } catch (error) {
      ctx.log.warn("cannot expand paths", { paths: config.paths, error: String(error) });
      return;
    }
    for (const path of paths) {
      if (stopped) return;
      if (!tailers.has(path)) await open(path, initial || notYetOpened.has(path));
    }
  };

  const run = async () => {
    while (!stopped) {
      if (performance.now() >= nextRescan) {
        await rescan(false);
        nextRescan = performance.now() + config.rescan_ms;
      }
      let more = false;
      let failed = false;
      for (const tailer of [...tailers.values()]) {
        if (stopped) break;
        try {
          const result = await tailer.poll();
          if (result === "more") more = true;
          if (result === "gone") tailers.delete(tailer.path);
          failures = 0;
        } catch (error) {
          // The buffer refused (policy block: budget_full) or failed: pause, then retry.
          failed = true;
          const wait = backoffDelay(failures++, { initialMs: config.poll_ms, maxMs: 5000 });
          ctx.log.warn("write refused; pausing", {
            path: tailer.path,
            retry_in_ms: wait,
            error: String(error),
          });
          await sleep(wait);
          break;
        }
      }
      if (!more && !failed && !stopped) await sleep(config.poll_ms);
    }
  };

  return {
    files: () => [...tailers.keys()],
    start() {
      if (stopped) return Promise.resolve();
      return starting ??= (async () => {
        await rescan(true);
        nextRescan = performance.now() + config.rescan_ms;
        if (!stopped) loop = run();
      })();
    },
    async stop() {
      stopped = true;
      wake?.();
      await starting?.catch(() => {});
      await loop;
      for (const tailer of tailers.values()) tailer.close();
      tailers.clear();
    },
  };
}
