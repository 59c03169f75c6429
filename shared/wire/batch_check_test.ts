import { assertThrows } from "../testing/asserts.ts";
import type { Batch } from "../records.ts";
import { checkBatch } from "./batch_check.ts";
import { sampleBatch } from "./sample_batch.ts";

const good = (): Batch => sampleBatch("trades", { rows: 4, firstSeq: 10n });

Deno.test("checkBatch accepts a well-formed batch, extra columns ignored", () => {
  checkBatch(good());
  const batch = good();
  batch.columns.extra = ["a"];
  checkBatch(batch);
  checkBatch({ ...good(), lastSeq: (1n << 64n) - 1n });
});

Deno.test("checkBatch names the field and value of a bad envelope field", () => {
  assertThrows(() => checkBatch({ ...good(), agent: "" }), RangeError, 'batch.agent: got ""');
  assertThrows(
    () => checkBatch({ ...good(), stream: "metrics" as "logs" }),
    RangeError,
    "batch.stream",
  );
  assertThrows(
    () => checkBatch({ ...good(), firstSeq: 10 as unknown as bigint }),
    TypeError,
    "batch.firstSeq: got 10",
  );
  assertThrows(
    () => checkBatch({ ...good(), firstSeq: -1n }),
    RangeError,
    "batch.firstSeq: got -1",
  );
  assertThrows(() => checkBatch({ ...good(), lastSeq: 1n << 64n }), RangeError, "batch.lastSeq");
  assertThrows(() => checkBatch({ ...good(), lastSeq: 9n }), RangeError, "at least firstSeq 10");
  assertThrows(() => checkBatch({ ...good(), rowCount: 0 }), RangeError, "batch.rowCount: got 0");
  assertThrows(() => checkBatch({ ...good(), lastSeq: 12n }), RangeError, "batch.rowCount: got 4");
  assertThrows(() => checkBatch(null as unknown as Batch), TypeError, "batch");
});

Deno.test("checkBatch names the column of a bad column", () => {
  const cases: [string, (b: Batch) => void, typeof TypeError | typeof RangeError, string][] = [
    ["missing", (b) => delete b.columns.price, TypeError, "batch.columns.price: got nothing"],
    [
      "wrong array",
      (b) => b.columns.seq = new Int32Array(4),
      TypeError,
      "batch.columns.seq: got Int32Array",
    ],
    [
      "short",
      (b) => b.columns.size = new Float64Array(3),
      RangeError,
      "batch.columns.size: got 3 values",
    ],
    [
      "not a string",
      (b) => (b.columns.symbol as unknown[])[2] = 5,
      TypeError,
      "batch.columns.symbol[2]",
    ],
    [
      "not a list",
      (b) => (b.columns.conditions as unknown[])[1] = [1],
      TypeError,
      "batch.columns.conditions[1]",
    ],
    [
      "seq order",
      (b) => (b.columns.seq as BigInt64Array)[1] = 10n,
      RangeError,
      "batch.columns.seq[1]",
    ],
    ["seq range", (b) => (b.columns.seq as BigInt64Array)[3] = 99n, RangeError, "lastSeq 13"],
  ];
  for (const [, change, errorClass, message] of cases) {
    const batch = good();
    change(batch);
    assertThrows(() => checkBatch(batch), errorClass, message);
  }
});
