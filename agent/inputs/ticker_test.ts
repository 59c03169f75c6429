import { createLogger } from "@tributary/shared/log";
import { RetryableError } from "@tributary/shared/errors";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { startTicker } from "./ticker.ts";

const quiet = createLogger({ sink: () => {} });

Deno.test("startTicker writes exactly limit rows, in order, in batches", async () => {
  const batches: number[][] = [];
  let next = 0;
  const ticker = startTicker({
    rate: 2000,
    limit: 250,
    tickMs: 10,
    produce: () => next++,
    write: (rows) => {
      batches.push([...rows]);
      return Promise.resolve();
    },
    log: quiet,
  });
  await ticker.done;
  await ticker.stop();
  const all = batches.flat();
  assertEquals(all, Array.from({ length: 250 }, (_, i) => i));
  assert(batches.length > 1 && batches.length < 250, `batches ${batches.length}`);
  assertEquals(ticker.written, 250);
});

Deno.test("startTicker retries a failed write with the same rows", async () => {
  let failures = 1;
  const seen: number[][] = [];
  let next = 0;
  const ticker = startTicker({
    rate: 1000,
    limit: 20,
    tickMs: 5,
    produce: () => next++,
    write: (rows) => {
      seen.push([...rows]);
      if (failures-- > 0) return Promise.reject(new RetryableError("busy", "busy"));
      return Promise.resolve();
    },
    log: quiet,
  });
  await ticker.done;
  await ticker.stop();
  assertEquals(seen[0], seen[1]);
  assertEquals(seen.slice(1).flat(), Array.from({ length: 20 }, (_, i) => i));
});

Deno.test("startTicker stop ends an unlimited ticker and waits for its write", async () => {
  let writing = false;
  const ticker = startTicker({
    rate: 1000,
    limit: 0,
    tickMs: 5,
    produce: () => 1,
    write: async () => {
      writing = true;
      await new Promise((r) => setTimeout(r, 15));
      writing = false;
    },
    log: quiet,
  });
  await new Promise((r) => setTimeout(r, 30));
  await ticker.stop();
  assertEquals(writing, false);
  await ticker.done;
  assert(ticker.written > 0);
});

Deno.test("startTicker continues from start, passes the next index and stops at the total limit", async () => {
  const seen: { rows: number[]; next: number }[] = [];
  let next = 70;
  const ticker = startTicker({
    rate: 2000,
    limit: 100,
    start: 70,
    tickMs: 5,
    produce: () => next++,
    write: (rows, after) => {
      seen.push({ rows: [...rows], next: after });
      return Promise.resolve();
    },
    log: quiet,
  });
  await ticker.done;
  await ticker.stop();
  assertEquals(seen.flatMap((s) => s.rows), Array.from({ length: 30 }, (_, i) => 70 + i));
  for (const s of seen) assertEquals(s.next, s.rows[s.rows.length - 1]! + 1);
  assertEquals(ticker.written, 100);
});

Deno.test("startTicker with start at the limit writes nothing and is done", async () => {
  let calls = 0;
  const ticker = startTicker({
    rate: 100,
    limit: 10,
    start: 10,
    produce: () => 0,
    write: () => {
      calls++;
      return Promise.resolve();
    },
    log: quiet,
  });
  await ticker.done;
  await ticker.stop();
  assertEquals(calls, 0);
  assertEquals(ticker.written, 10);
});
