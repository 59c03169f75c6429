import { assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { decodeBatch, encodeBatch } from "@tributary/shared/wire";
import { makeBatch, seqRange } from "./batches.ts";

Deno.test("makeBatch builds batches of every kind that survive the wire format", () => {
  for (const kind of KINDS) {
    const batch = makeBatch(kind, { seqs: [3n, 5n], firstSeq: 1n, lastSeq: 6n, agent: "t-1" });
    assertEquals(decodeBatch(encodeBatch(batch)).batch, batch);
  }
});

Deno.test("seqRange lists both ends", () => {
  assertEquals(seqRange(2n, 4n), [2n, 3n, 4n]);
  assertEquals(seqRange(5n, 4n), []);
});
