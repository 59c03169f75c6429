/**
 * A one-line progress bar with rows/s for a replay, redrawn on stderr at
 * most every 250 ms — and only when stderr is a terminal, so logs and
 * redirected output never fill with carriage returns.
 *
 * @module
 */

/** Options of {@linkcode createProgress}. */
export interface ProgressOptions {
  /** Draw at all (config `progress`); still off when stderr is not a terminal. */
  enabled: boolean;
  /** Where the text goes. @default stderr, if it is a terminal */
  write?: (text: string) => void;
  /** Monotonic clock, ms. @default performance.now */
  now?: () => number;
}

/** A progress display; every method is a no-op when disabled. */
export interface Progress {
  /** A new file (1-based `index` of `count`), `size` compressed bytes if known. */
  file(index: number, count: number, key: string, size: number | undefined): void;
  /** Bytes of the current file read so far and rows replayed in total. */
  update(bytes: number, rows: number): void;
  /** Ends the line. */
  finish(): void;
}

const encoder = new TextEncoder();
const WIDTH = 24;

/** Creates the progress display of one replay. */
export function createProgress(options: ProgressOptions): Progress {
  const write = options.write ??
    (Deno.stderr.isTerminal()
      ? (t: string) => Deno.stderr.writeSync(encoder.encode(t))
      : undefined);
  if (!options.enabled || write === undefined) {
    return { file() {}, update() {}, finish() {} };
  }
  const now = options.now ?? (() => performance.now());
  const started = now();
  let last = -Infinity;
  let label = "";
  let size: number | undefined;
  let drawn = false;
  return {
    file(index, count, key, fileSize) {
      label = `${index}/${count} ${key.length > 40 ? `…${key.slice(-39)}` : key}`;
      size = fileSize;
      last = -Infinity;
    },
    update(bytes, rows) {
      const t = now();
      if (t - last < 250) return;
      last = t;
      const rate = rows / Math.max((t - started) / 1000, 0.001);
      const bar = size ? progressBar(bytes / size) : "";
      write(`\r\x1b[K${label} ${bar} ${fmt(rows)} rows ${fmt(rate)} rows/s`);
      drawn = true;
    },
    finish() {
      if (drawn) write("\n");
      drawn = false;
    },
  };
}

/** `[#####-----]  50%` for a fraction in [0, 1]. */
export function progressBar(fraction: number): string {
  const f = Math.min(Math.max(fraction, 0), 1);
  const filled = Math.round(f * WIDTH);
  return `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${
    (f * 100).toFixed(0).padStart(3)
  }%`;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
