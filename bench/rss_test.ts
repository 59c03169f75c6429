import { assertEquals } from "@tributary/shared/testing/asserts";
import { readRssKiB, windowFigures } from "./rss.ts";

Deno.test("windowFigures gives the peak and median of the samples in [from, to) only", () => {
  const trace = [0, 100, 200, 300, 400].map((ms, i) => ({
    ms,
    rssKiB: [1024, 4096, 2048, 3072, 8192][i]!,
    anonKiB: 0,
  }));
  // 100, 200 and 300 ms are in; 0 and 400 are not.
  assertEquals(windowFigures(trace, 100, 400), { peakMiB: 4, medianMiB: 3, samples: 3 });
  assertEquals(windowFigures(trace, 400, Infinity), { peakMiB: 8, medianMiB: 8, samples: 1 });
  assertEquals(windowFigures(trace, 500, 600), { peakMiB: 0, medianMiB: 0, samples: 0 });
});

Deno.test("readRssKiB reads this process's resident set and nothing for a process that is gone", () => {
  const mine = readRssKiB(Deno.pid);
  assertEquals(typeof mine === "number" && mine > 1024, true, `RSS ${mine} KiB`);
  assertEquals(readRssKiB(2 ** 22 + 1), undefined); // above Linux's pid_max
});
