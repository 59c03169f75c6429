import { assertEquals, assertMatch, assertThrows } from "../testing/asserts.ts";
import { encodeArrowBody } from "./arrow_encode.ts";
import { WireError } from "./errors.ts";
import { readIpcStream, TYPE_INT, TYPE_LIST, TYPE_UTF8 } from "./ipc_stream.ts";
import { sampleBatch } from "./sample_batch.ts";

const body = () => encodeArrowBody(sampleBatch("trades", { rows: 3 }));

function corrupt(bytes: Uint8Array): string {
  const error = assertThrows(() => readIpcStream(bytes), WireError);
  assertEquals(error.code, "corrupt_body", error.message);
  return error.message;
}

Deno.test("readIpcStream reads the schema, nodes and buffers apache-arrow wrote", () => {
  const stream = readIpcStream(body());
  assertEquals(stream.fields.map((f) => f.name), [
    "seq",
    "ts",
    "recv_ts",
    "symbol",
    "price",
    "size",
    "exchange",
    "conditions",
    "trade_id",
  ]);
  assertEquals(stream.fields[0]!.type, { id: TYPE_INT, bitWidth: 64, signed: true });
  assertEquals(stream.fields[3]!.type.id, TYPE_UTF8);
  assertEquals(stream.fields[7]!.type.id, TYPE_LIST);
  assertEquals(stream.fields[7]!.children[0]!.name, "item");
  assertEquals(stream.fields.every((f) => !f.nullable && !f.dictionary), true);
  assertEquals(stream.batches.length, 1);
  const batch = stream.batches[0]!;
  assertEquals(batch.length, 3);
  assertEquals(batch.nodes.length, 10); // 9 columns + the list's child
  assertEquals(batch.buffers.length, 2 * 6 + 3 * 2 + 4);
  assertEquals(batch.nodes.every((n) => n.nullCount === 0), true);
});

Deno.test("readIpcStream calls onSchema before reading any batch", () => {
  const error = assertThrows(
    () =>
      readIpcStream(body(), {
        onSchema: () => {
          throw new WireError("schema_mismatch", "no");
        },
      }),
    WireError,
  );
  assertEquals(error.code, "schema_mismatch");
});

Deno.test("readIpcStream accepts a stream without the end-of-stream marker", () => {
  const bytes = body();
  assertEquals(readIpcStream(bytes.subarray(0, bytes.length - 8)).batches.length, 1);
});

Deno.test("readIpcStream rejects bytes after end-of-stream and cut-short streams", () => {
  const bytes = body();
  assertMatch(corrupt(new Uint8Array([...bytes, 0])), /follow the end-of-stream marker/);
  assertMatch(corrupt(bytes.subarray(0, bytes.length - 9)), /exceeds|cut short/);
  assertMatch(corrupt(bytes.subarray(0, 6)), /cut short/);
  assertMatch(corrupt(new Uint8Array(0)), /no schema message/);
  assertMatch(corrupt(new Uint8Array([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])), /no schema/);
});

Deno.test("readIpcStream rejects legacy framing without the continuation marker", () => {
  const bytes = body();
  // Pre-0.15 framing: the metadata length without the 0xFFFFFFFF prefix.
  assertMatch(corrupt(bytes.subarray(4)), /continuation marker/);
});

Deno.test("readIpcStream rejects metadata lengths and versions it cannot trust", () => {
  const bytes = body();
  const huge = bytes.slice();
  new DataView(huge.buffer).setInt32(4, 0x7FFF_FFF0, true);
  assertMatch(corrupt(huge), /metadata length/);
  const negative = bytes.slice();
  new DataView(negative.buffer).setInt32(4, -8, true);
  assertMatch(corrupt(negative), /metadata length -8/);
  // The root offset of the first message pointing past its metadata.
  const root = bytes.slice();
  new DataView(root.buffer).setUint32(8, 0xFFFF, true);
  assertMatch(corrupt(root), /bad Arrow metadata/);
});

Deno.test("readIpcStream reports a record batch before the schema", () => {
  const bytes = body();
  const view = new DataView(bytes.buffer);
  const schemaEnd = 8 + view.getInt32(4, true);
  assertMatch(corrupt(bytes.subarray(schemaEnd)), /record batch before the schema/);
  const twice = new Uint8Array([...bytes.subarray(0, schemaEnd), ...bytes]);
  assertMatch(corrupt(twice), /second schema/);
});
