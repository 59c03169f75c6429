import { assertEquals } from "@tributary/shared/testing/asserts";
import { SequenceTracker } from "./sequence.ts";

Deno.test("SequenceTracker counts gaps and missing numbers per key and spots repeats", () => {
  const s = new SequenceTracker();
  assertEquals(
    [
      s.check("A", 1, 10n),
      s.check("A", 2, 20n),
      s.check("A", 5, 50n),
      s.check("A", 5, 50n),
      s.check("A", 3, 30n),
    ],
    ["first", "next", "gap", "duplicate", "duplicate"],
  );
  assertEquals([s.check("B", 10, 1n), s.check("B", 11, 2n)], ["first", "next"]);
  assertEquals(s.check("A", 6, 60n), "next");
  assertEquals([s.gaps, s.missing, s.resets], [1, 2, 0]);
});

Deno.test("SequenceTracker takes a lower number with a newer event time as a restart", () => {
  const s = new SequenceTracker();
  // Yesterday's numbers, then today's from 1 again (Polygon resets daily).
  assertEquals([s.check("A", 900, 100n), s.check("A", 901, 100n)], ["first", "next"]);
  assertEquals(s.check("A", 1, 200n), "reset");
  assertEquals([s.check("A", 2, 201n), s.check("A", 4, 202n)], ["next", "gap"]);
  // A replay of an old message is still a repeat: its time is not newer.
  assertEquals(s.check("A", 3, 150n), "duplicate");
  assertEquals([s.gaps, s.missing, s.resets], [1, 1, 1]);
});
