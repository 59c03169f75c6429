import { assertEquals, assertThrows } from "../testing/asserts.ts";
import { FlatBufferError, FlatTable } from "./flatbuffer.ts";

/**
 * A hand-built FlatBuffer: the root table has field 0: int = 7,
 * field 1: string "hi", field 2: vector of one 8-byte struct holding 42.
 *
 * ```
 * 0   root offset -> 16
 * 4   vtable: size 10, table size 16, field offsets 4, 8, 12
 * 16  table: soffset 12 (-> vtable at 4), 7, ->string, ->vector
 * 32  string: length 2, "hi"
 * 40  vector: length 1, 42 (i64)
 * ```
 */
function sample(): Uint8Array {
  const bytes = new Uint8Array(64);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, 16, true);
  [10, 16, 4, 8, 12].forEach((value, i) => v.setUint16(4 + 2 * i, value, true));
  v.setInt32(16, 12, true);
  v.setInt32(20, 7, true);
  v.setUint32(24, 32 - 24, true);
  v.setUint32(28, 40 - 28, true);
  v.setUint32(32, 2, true);
  bytes.set([0x68, 0x69], 36);
  v.setUint32(40, 1, true);
  v.setBigInt64(44, 42n, true);
  return bytes;
}

Deno.test("FlatTable reads scalars, strings and struct vectors", () => {
  const table = FlatTable.root(sample());
  assertEquals(table.int32(0, -1), 7);
  assertEquals(table.string(1), "hi");
  assertEquals(table.has(2), true);
  assertEquals(table.has(3), false);
  assertEquals(table.int32(5, 99), 99);
  const vector = table.vector(2, 8)!;
  assertEquals(vector, { start: 44, length: 1 });
  assertEquals(table.structInt64(vector, 0, 8, 0), 42n);
});

Deno.test("FlatTable rejects offsets and lengths that leave the buffer", () => {
  assertThrows(() => FlatTable.root(new Uint8Array(2)), FlatBufferError, "root offset");
  const bytes = sample();
  const v = new DataView(bytes.buffer);
  v.setUint32(0, 1000, true);
  assertThrows(() => FlatTable.root(bytes), FlatBufferError, "outside a buffer of 64 bytes");
  v.setUint32(0, 16, true);
  v.setUint32(32, 0x7FFF_FFFF, true);
  assertThrows(() => FlatTable.root(bytes).string(1), FlatBufferError, "vector at 36");
  v.setUint32(40, 0x1000_0000, true);
  assertThrows(() => FlatTable.root(bytes).vector(2, 8), FlatBufferError, "vector at 44");
  v.setUint32(32, 2, true);
  bytes[36] = 0xFF;
  assertThrows(() => FlatTable.root(bytes).string(1), FlatBufferError, "not valid UTF-8");
  v.setUint16(6, 200, true);
  assertThrows(() => FlatTable.root(bytes), FlatBufferError, "table at 16");
  v.setUint16(6, 16, true);
  v.setUint16(4, 3, true);
  assertThrows(() => FlatTable.root(bytes), FlatBufferError, "vtable at 4 has size 3");
  v.setUint16(4, 10, true);
  v.setUint16(8, 14, true); // field 0 (4 bytes) at offset 14 of a 16-byte table
  assertThrows(() => FlatTable.root(bytes).int32(0, 0), FlatBufferError, "field 0");
});

Deno.test("FlatTable checks vector indexes", () => {
  const table = FlatTable.root(sample());
  const vector = table.vector(2, 8)!;
  assertThrows(() => table.structInt64(vector, 1, 8, 0), FlatBufferError, "index 1");
  assertThrows(() => table.tableAt(vector, -1), FlatBufferError, "index -1");
});
