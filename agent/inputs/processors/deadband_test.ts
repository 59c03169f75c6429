import { assertEquals } from "@tributary/shared/testing/asserts";
import { createDeadband } from "./deadband.ts";
import { reading } from "./_testing.ts";

const base = {
  type: "deadband" as const,
  metrics: [],
  delta: 0.5,
  percent: false,
  max_interval_s: 60,
  max_series: 100,
};

Deno.test("createDeadband passes moves beyond delta and heartbeats after max_interval_s", () => {
  const step = createDeadband(base);
  const result = step.process([
    reading("t", "temp", 20.0, 0), // first: passes
    reading("t", "temp", 20.3, 1), // within 0.5 of 20.0
    reading("t", "temp", 20.6, 2), // moved 0.6: passes
    reading("t", "temp", 20.7, 30), // within 0.5 of 20.6
    reading("t", "temp", 20.7, 62), // 60 s since the last pass: heartbeat
    reading("h", "temp", 1, 2), // another series
  ]);
  assertEquals(result.rows.map((r) => r.value), [20.0, 20.6, 20.7, 1]);
  assertEquals(result.dropped, new Map([["deadband", 2]]));
});

Deno.test("createDeadband remembers only committed batches, so a retry decides the same", () => {
  const step = createDeadband(base);
  const batch = [reading("t", "temp", 20, 0)];
  const first = step.process(batch);
  // The write failed: no commit. The retry passes the same row again.
  const retry = step.process(batch);
  assertEquals(retry.rows.length, 1);
  retry.commit?.();
  assertEquals(step.process([reading("t", "temp", 20.1, 1)]).rows.length, 0);
  assertEquals(first.rows.length, 1);
});

Deno.test("createDeadband applies percent deltas and only to matching metrics", () => {
  const step = createDeadband({ ...base, delta: 10, percent: true, metrics: ["press*"] });
  const r = step.process([
    reading("p", "pressure", 1000, 0),
    reading("p", "pressure", 1050, 1), // 5 %: suppressed
    reading("p", "pressure", 1101, 2), // 10.1 %: passes
    reading("p", "other", 1, 3),
    reading("p", "other", 1, 4),
  ]);
  assertEquals(r.rows.map((x) => x.value), [1000, 1101, 1, 1]);
});
