/**
 * Gives back the memory a drain's reads leave behind, at the pace of the
 * drain rather than at V8's.
 *
 * Each DuckDB data chunk the buffer reads lives in native memory owned by a
 * small JS wrapper and is freed only when V8 collects that wrapper. The
 * wrappers are tiny, so V8 feels no pressure and collects them late: a bare
 * read loop grew +422 MiB over idle. And a batch's columns (typed arrays, log
 * strings) are still alive during the scavenges the encoder triggers, so they
 * are promoted and wait, with the native memory behind them, for a full
 * collection that a small heap rarely needs. docs/benchmarks.md ("Drain
 * memory") has the measurements.
 *
 * So after each read the buffer calls the reclaimer: a minor (young
 * generation) collection, and a major one whenever the V8 heap has grown by
 * `majorAfterBytes` since the last. Both need `gc`, which V8 exposes only with
 * `--v8-flags=--expose-gc` (the compiled agent has it, tools/compile.ts);
 * without it the reclaimer does nothing and memory comes back at V8's pace.
 *
 * @module
 */
import { getHeapStatistics } from "node:v8";

/** V8's `gc()` as `--expose-gc` defines it. */
export type GcFunction = (options: { type: "minor" | "major" }) => void;

/** How a reclaimer collects; the defaults are V8's own. */
export interface HeapReclaimerOptions {
  /** @default globalThis.gc, present only with `--v8-flags=--expose-gc` */
  gc?: GcFunction;
  /** Bytes in use in the V8 heap. @default getHeapStatistics().used_heap_size */
  usedHeapBytes?: () => number;
  /**
   * Heap growth since the last major collection that triggers the next one.
   * 4 MiB: +85 vs +91 MiB over idle at 8 MiB, +131 with minor collections
   * only, in the buffer's loop (bench/buffer_memory_probe.ts).
   * @default 4 MiB
   */
  majorAfterBytes?: number;
}

/** What a reclaimer did on one call; for tests and counters. */
export type Reclaimed = "none" | "minor" | "major";

/**
 * A function to call after each batch read from DuckDB.
 *
 * @example
 * ```ts
 * const reclaim = createHeapReclaimer();
 * reclaim(); // "none" without --expose-gc
 * ```
 */
export function createHeapReclaimer(options: HeapReclaimerOptions = {}): () => Reclaimed {
  const gc = options.gc ?? (globalThis as { gc?: GcFunction }).gc;
  if (gc === undefined) return () => "none";
  const usedHeapBytes = options.usedHeapBytes ?? (() => getHeapStatistics().used_heap_size);
  const majorAfterBytes = options.majorAfterBytes ?? 4 * 1024 * 1024;
  let usedAfterMajor = usedHeapBytes();
  return () => {
    if (usedHeapBytes() - usedAfterMajor > majorAfterBytes) {
      gc({ type: "major" });
      usedAfterMajor = usedHeapBytes();
      return "major";
    }
    gc({ type: "minor" });
    return "minor";
  };
}
