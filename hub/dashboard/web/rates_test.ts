import { assertEquals } from "@tributary/shared/testing/asserts";
import { RateTracker } from "./rates.ts";

Deno.test("RateTracker gives per-second rates between updates", () => {
  const tracker = new RateTracker();
  assertEquals(tracker.update({ logs: 10, trades: 0 }, 1_000), undefined);
  const point = tracker.update({ logs: 30, trades: 5 }, 3_000);
  assertEquals(point, { t: 3, rates: { logs: 10, trades: 2.5 } });
});

Deno.test("RateTracker restarts from the new value when a counter goes down", () => {
  const tracker = new RateTracker();
  tracker.update({ logs: 100 }, 0);
  assertEquals(tracker.update({ logs: 4 }, 1_000)?.rates.logs, 4);
});

Deno.test("RateTracker keeps a bounded history and ignores a clock that goes back", () => {
  const tracker = new RateTracker(2);
  for (let i = 0; i < 5; i++) tracker.update({ a: i }, i * 1_000);
  assertEquals(tracker.history().map((p) => p.t), [3, 4]);
  assertEquals(tracker.update({ a: 9 }, 500), undefined);
});
