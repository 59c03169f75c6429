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
}

/** A running sampler; `stop()` returns what it saw and may be called twice. */
export interface RssSampler {
  stop(): RssFigures;
}

/** The VmRSS of `pid` in KiB, or `undefined` when the process is gone. */
export function readRssKiB(pid: number): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const match = status.match(/^VmRSS:\s*(\d+)\s*kB/m);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // The process has exited.
  }
}

/** Starts sampling `pid` every `intervalMs` (default 100 ms). */
export function startRssSampler(pid: number, intervalMs = 100): RssSampler {
  const samples: number[] = [];
  const take = () => {
    const kib = readRssKiB(pid);
    if (kib !== undefined) samples.push(kib);
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
      const mib = (kib: number) => kib / 1024;
      const sorted = [...samples].sort((a, b) => a - b);
      return {
        firstMiB: mib(samples[0] ?? 0),
        peakMiB: mib(Math.max(0, ...samples)),
        lastMiB: mib(samples.at(-1) ?? 0),
        medianMiB: mib(sorted[Math.floor(sorted.length / 2)] ?? 0),
        samples: samples.length,
      };
    },
  };
}
