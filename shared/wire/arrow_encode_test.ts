import { tableFromIPC } from "apache-arrow";
import { assertEquals } from "../testing/asserts.ts";
import { bodyColumns, KINDS } from "../records.ts";
import { encodeArrowBody, encodeUtf8 } from "./arrow_encode.ts";
import { sampleBatch } from "./sample_batch.ts";

Deno.test("encodeArrowBody writes a stream apache-arrow's own reader reads back", () => {
  for (const kind of KINDS) {
    const batch = sampleBatch(kind, { rows: 64, seed: 5 });
    const table = tableFromIPC(encodeArrowBody(batch));
    assertEquals(table.numRows, 64);
    assertEquals(table.schema.fields.map((f) => f.name), bodyColumns(kind).map((c) => c.name));
    for (const column of bodyColumns(kind)) {
      const vector = table.getChild(column.name)!;
      const expected = batch.columns[column.name]!;
      if (column.type === "i32_list") {
        const lists = vector.toArray().map((list: { toArray(): Int32Array }) => list.toArray());
        assertEquals(
          lists.map((l: Int32Array) => Array.from(l)),
          (expected as Int32Array[]).map((l) => Array.from(l)),
        );
      } else {
        assertEquals(Array.from(vector.toArray()), Array.from(expected as ArrayLike<unknown>));
      }
    }
  }
});

Deno.test("encodeArrowBody starts with the IPC continuation marker and ends with end-of-stream", () => {
  const body = encodeArrowBody(sampleBatch("logs", { rows: 2 }));
  assertEquals(Array.from(body.subarray(0, 4)), [0xFF, 0xFF, 0xFF, 0xFF]);
  assertEquals(Array.from(body.subarray(body.length - 8)), [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]);
});

Deno.test("encodeUtf8 writes UTF-8 with Arrow offsets, ASCII and not", () => {
  const { offsets, data } = encodeUtf8("x", ["ab", "", "é", "😀", "z"]);
  assertEquals(Array.from(offsets), [0, 2, 2, 4, 8, 9]);
  assertEquals(new TextDecoder().decode(data), "ab" + "é😀z");
});

Deno.test("encodeUtf8 grows its buffer for long multi-byte text", () => {
  const long = "€".repeat(10_000);
  const { offsets, data } = encodeUtf8("x", ["a", long, "b"]);
  assertEquals(offsets[3], 1 + 30_000 + 1);
  assertEquals(new TextDecoder().decode(data.subarray(1, 30_001)), long);
});

Deno.test("encodeUtf8 writes U+FFFD for a lone surrogate", () => {
  const { data } = encodeUtf8("x", ["a\uD800b"]);
  assertEquals(new TextDecoder().decode(data), "a\uFFFDb");
});
