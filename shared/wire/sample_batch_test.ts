import { assertEquals, assertNotEquals } from "../testing/asserts.ts";
import { KINDS } from "../records.ts";
import { checkBatch } from "./batch_check.ts";
import { sampleBatch } from "./sample_batch.ts";

Deno.test("sampleBatch builds a valid batch of every kind", () => {
  for (const kind of KINDS) {
    const batch = sampleBatch(kind, { rows: 100, firstSeq: 5n, agent: "a1" });
    checkBatch(batch);
    assertEquals([batch.stream, batch.agent, batch.firstSeq, batch.lastSeq], [
      kind,
      "a1",
      5n,
      104n,
    ]);
  }
});

Deno.test("sampleBatch is deterministic per seed", () => {
  assertEquals(
    sampleBatch("logs", { seed: 3, rows: 20 }),
    sampleBatch("logs", { seed: 3, rows: 20 }),
  );
  assertNotEquals(
    sampleBatch("logs", { seed: 3, rows: 20 }),
    sampleBatch("logs", { seed: 4, rows: 20 }),
  );
});
