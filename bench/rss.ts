/**
 * Samples a process's resident set size from /proc while a benchmark runs.
 *
 * @module
 */

/** What a sampler saw, in MiB. */
export interface RssFigures {
  firstMiB: number;
  peakMiB: number;
  lastMiB: number;
  /** Median of all samples. */
  medianMiB: number;
  samples: number;
  /** Every sample: ms since start, RSS and its anonymous part (RssAnon), in KiB. */
  trace: RssSample[];
}

/** One reading of /proc/<pid>/status. */
export interface RssSample {
  ms: number;
  rssKiB: number;
  anonKiB: number;
}

/** A running sampler; `stop()` returns what it saw and may be called twice. */
export interface RssSampler {
  stop(): RssFigures;
}

/** The VmRSS of `pid` in KiB, or `undefined` when the process is gone. */
export function readRssKiB(pid: number): number | undefined {
  return readRss(pid)?.rssKiB;
}

/** VmRSS and RssAnon of `pid` in KiB, or `undefined` when the process is gone. */
function readRss(pid: number): { rssKiB: number; anonKiB: number } | undefined {
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return undefined; // The process has exited.
  }
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s*(\\d+)\\s*kB`, "m").exec(status)?.[1]);
  const rssKiB = field("VmRSS");
  return Number.isFinite(rssKiB) ? { rssKiB, anonKiB: field("RssAnon") } : undefined;
}

/** Peak and median of the samples taken from `fromMs` (inclusive) to `toMs` (exclusive), in MiB. */
export function windowFigures(
  trace: RssSample[],
  fromMs: number,
  toMs: number,
): { peakMiB: number; medianMiB: number; samples: number } {
  const kib = trace.filter((s) => s.ms >= fromMs && s.ms < toMs).map((s) => s.rssKiB)
    .sort((a, b) => a - b);
  return {
    peakMiB: Math.max(0, ...kib) / 1024,
    medianMiB: (kib[Math.floor(kib.length / 2)] ?? 0) / 1024,
    samples: kib.length,
  };
}

/** Starts sampling `pid` every `intervalMs` (default 100 ms). */
export function startRssSampler(pid: number, intervalMs = 100): RssSampler {
  const trace: RssSample[] = [];
  const started = performance.now();
  const take = () => {
    const read = readRss(pid);
    if (read === undefined) return;
    trace.push({ ms: Math.round(performance.now() - started), ...read });
  };
  take();
  let timer: ReturnType<typeof setInterval> | undefined = setInterval(take, intervalMs);
  return {
    stop() {
      if (timer !== undefined) {
        take();
        clearInterval(timer);
        timer = undefined;
      }
      const { peakMiB, medianMiB } = windowFigures(trace, -Infinity, Infinity);
      return {
        firstMiB: (trace[0]?.rssKiB ?? 0) / 1024,
        peakMiB,
        lastMiB: (trace.at(-1)?.rssKiB ?? 0) / 1024,
        medianMiB,
        samples: trace.length,
        trace,
      };
    },
  };
}
