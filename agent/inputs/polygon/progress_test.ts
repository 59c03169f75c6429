import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { createProgress, progressBar } from "./progress.ts";

Deno.test("progressBar fills in proportion and clamps", () => {
  assertEquals(progressBar(0.5), `[${"#".repeat(12)}${"-".repeat(12)}]  50%`);
  assertEquals(progressBar(2), `[${"#".repeat(24)}] 100%`);
  assertEquals(progressBar(-1), `[${"-".repeat(24)}]   0%`);
});

Deno.test("createProgress redraws at most every 250 ms and ends the line once", () => {
  let now = 0;
  const out: string[] = [];
  const progress = createProgress({ enabled: true, write: (t) => out.push(t), now: () => now });
  progress.file(1, 2, "us_stocks_sip/trades_v1/2024/04/2024-04-05.csv.gz", 1000);
  now = 1000;
  progress.update(500, 20_000);
  now = 1100;
  progress.update(600, 22_000); // too soon: not drawn
  now = 1300;
  progress.update(700, 26_000);
  progress.finish();
  progress.finish();
  assertEquals(out.length, 3);
  assert(out[0]!.startsWith("\r\x1b[K1/2 …"), "clears the line, then file n/N and the key's tail");
  assertMatch(out[0]!, /2024-04-05\.csv\.gz \[#{12}-{12}\] {2}50% 20,000 rows 20,000 rows\/s$/);
  assertMatch(out[1]!, /70% 26,000 rows 20,000 rows\/s$/);
  assertEquals(out[2], "\n");
});

Deno.test("createProgress draws nothing when disabled", () => {
  const out: string[] = [];
  const progress = createProgress({ enabled: false, write: (t) => out.push(t) });
  progress.file(1, 1, "a", 1);
  progress.update(1, 1);
  progress.finish();
  assert(out.length === 0);
});
