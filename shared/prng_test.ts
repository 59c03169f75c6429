import { assert, assertEquals, assertThrows } from "./testing/asserts.ts";
import { createRandom } from "./prng.ts";

Deno.test("createRandom is deterministic for a seed and differs across seeds", () => {
  const a = createRandom(7), b = createRandom(7), c = createRandom(8);
  const sa = Array.from({ length: 5 }, () => a.next());
  assertEquals(sa, Array.from({ length: 5 }, () => b.next()));
  assert(sa.some((x, i) => x !== [c.next(), c.next(), c.next(), c.next(), c.next()][i]));
});

Deno.test("createRandom int stays within bounds and covers them", () => {
  const r = createRandom(1);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const x = r.int(3, 6);
    assert(x >= 3 && x <= 6);
    seen.add(x);
  }
  assertEquals([...seen].sort(), [3, 4, 5, 6]);
});

Deno.test("createRandom pick refuses an empty array", () => {
  assertThrows(() => createRandom(1).pick([]), RangeError);
});
