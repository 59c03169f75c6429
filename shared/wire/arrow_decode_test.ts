import {
  type Data,
  type DataType,
  Dictionary,
  Field,
  Float32,
  Int32,
  Int64,
  LargeUtf8,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  Uint64,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { assert, assertEquals, assertMatch, assertThrows } from "../testing/asserts.ts";
import { type Batch, KINDS } from "../records.ts";
import { decodeArrowBody } from "./arrow_decode.ts";
import { encodeArrowBody } from "./arrow_encode.ts";
import { WireError, type WireErrorCode } from "./errors.ts";
import { sampleBatch } from "./sample_batch.ts";

function expectCode(code: WireErrorCode, fn: () => unknown): string {
  const error = assertThrows(fn, WireError);
  assertEquals(error.code, code, error.message);
  return error.message;
}

/** The body of `batch` re-written by apache-arrow after `change` edits its fields and data. */
function rewritten(
  batch: Batch,
  change: (fields: Field[], children: Data[]) => void,
): Uint8Array {
  const table = tableFromIPC(encodeArrowBody(batch));
  const fields = [...table.schema.fields];
  const children = table.batches[0]!.data.children.slice();
  change(fields, children);
  const schema = new Schema(fields);
  const data = makeData({
    type: new Struct(fields),
    length: batch.rowCount,
    nullCount: 0,
    children,
  });
  return tableToIPC(new Table([new RecordBatch(schema, data)]), "stream");
}

function replaceColumn(name: string, type: DataType, data: Data, nullable = false) {
  return (fields: Field[], children: Data[]) => {
    const at = fields.findIndex((f) => f.name === name);
    fields[at] = new Field(name, type, nullable);
    children[at] = data;
  };
}

Deno.test("decodeArrowBody reads what encodeArrowBody wrote, for every kind", () => {
  for (const kind of KINDS) {
    const batch = sampleBatch(kind, { rows: 33, seed: 2 });
    assertEquals(decodeArrowBody(encodeArrowBody(batch), kind, 33), batch.columns);
  }
});

Deno.test("decodeArrowBody joins several record batches, empty ones included", () => {
  const batch = sampleBatch("trades", { rows: 30, seed: 4 });
  const slice = (from: number, to: number) =>
    tableFromIPC(encodeArrowBody({
      ...batch,
      rowCount: to - from,
      columns: Object.fromEntries(
        Object.entries(batch.columns).map(([k, v]) => [k, v.slice(from, to)]),
      ),
    }));
  const empty = slice(0, 1).slice(0, 0);
  const parts = [slice(0, 10), empty, slice(10, 11), slice(11, 30)];
  const table = new Table(parts.flatMap((t) => t.batches));
  assertEquals(table.batches.length >= 3, true);
  assertEquals(decodeArrowBody(tableToIPC(table, "stream"), "trades", 30), batch.columns);
});

Deno.test("decodeArrowBody accepts fields declared nullable when no value is null", () => {
  const batch = sampleBatch("quotes", { rows: 5 });
  const body = rewritten(batch, (fields) => {
    for (let i = 0; i < fields.length; i++) fields[i] = fields[i]!.clone({ nullable: true });
  });
  assertEquals(tableFromIPC(body).schema.fields[0]!.nullable, true);
  assertEquals(decodeArrowBody(body, "quotes", 5), batch.columns);
});

Deno.test("decodeArrowBody reports schema_mismatch for a null value", () => {
  const batch = sampleBatch("readings", { rows: 3 });
  const withNull = vectorFromArray(["a", null, "c"], new Utf8()).data[0]!;
  const body = rewritten(batch, replaceColumn("unit", new Utf8(), withNull, true));
  assertMatch(
    expectCode("schema_mismatch", () => decodeArrowBody(body, "readings", 3)),
    /unit has 1 nulls/,
  );
});

Deno.test("decodeArrowBody reports schema_mismatch for wrong types, naming the column", () => {
  const batch = sampleBatch("trades", { rows: 3 });
  const cases: [string, DataType, Data, RegExp][] = [
    [
      "exchange",
      new Int64(),
      vectorFromArray([1n, 2n, 3n], new Int64()).data[0]!,
      /exchange: got Arrow type Int64, expected Int32/,
    ],
    [
      "seq",
      new Uint64(),
      vectorFromArray([1n, 2n, 3n], new Uint64()).data[0]!,
      /seq: got Arrow type Uint64/,
    ],
    [
      "price",
      new Float32(),
      vectorFromArray([1, 2, 3], new Float32()).data[0]!,
      /price: got Arrow type Float\(precision 1\)/,
    ],
    [
      "symbol",
      new LargeUtf8(),
      vectorFromArray(["a", "b", "c"], new LargeUtf8()).data[0]!,
      /symbol: got Arrow type type id 20/,
    ],
    [
      "symbol",
      new Dictionary(new Utf8(), new Int32()),
      vectorFromArray(["a", "b", "a"], new Dictionary(new Utf8(), new Int32())).data[0]!,
      /symbol: got Arrow type Dictionary/,
    ],
    [
      "conditions",
      new List(new Field("item", new Int64(), false)),
      vectorFromArray([[1n], [], [2n]], new List(new Field("item", new Int64(), false))).data[0]!,
      /conditions: got Arrow type List<Int64>, expected List<Int32>/,
    ],
  ];
  for (const [name, type, data, message] of cases) {
    const body = rewritten(batch, replaceColumn(name, type, data));
    assertMatch(expectCode("schema_mismatch", () => decodeArrowBody(body, "trades", 3)), message);
  }
});

Deno.test("decodeArrowBody accepts a List child named element (as Parquet-derived writers name it)", () => {
  const batch = sampleBatch("trades", { rows: 3 });
  const type = new List(new Field("element", new Int32(), true));
  const data = vectorFromArray([[1], [], [2, 3]], type).data[0]!;
  const body = rewritten(batch, replaceColumn("conditions", type, data));
  const columns = decodeArrowBody(body, "trades", 3);
  assertEquals(columns.conditions, [
    new Int32Array([1]),
    new Int32Array([]),
    new Int32Array([2, 3]),
  ]);
});

Deno.test("decodeArrowBody reports schema_mismatch for wrong names, order or count", () => {
  const batch = sampleBatch("logs", { rows: 2 });
  const renamed = rewritten(batch, (fields) => {
    fields[3] = fields[3]!.clone({ name: "src" });
  });
  assertMatch(
    expectCode("schema_mismatch", () => decodeArrowBody(renamed, "logs", 2)),
    /column 3: got name "src", expected source/,
  );
  const swapped = rewritten(batch, (fields, children) => {
    [fields[3], fields[4]] = [fields[4]!, fields[3]!];
    [children[3], children[4]] = [children[4]!, children[3]!];
  });
  assertMatch(
    expectCode("schema_mismatch", () => decodeArrowBody(swapped, "logs", 2)),
    /expected source/,
  );
  const dropped = rewritten(batch, (fields, children) => {
    fields.pop();
    children.pop();
  });
  assertMatch(
    expectCode("schema_mismatch", () => decodeArrowBody(dropped, "logs", 2)),
    /has 6 columns/,
  );
  const extra = rewritten(batch, (fields, children) => {
    fields.push(new Field("more", new Int32(), false));
    children.push(vectorFromArray([1, 2], new Int32()).data[0]!);
  });
  assertMatch(
    expectCode("schema_mismatch", () => decodeArrowBody(extra, "logs", 2)),
    /has 8 columns/,
  );
});

Deno.test("decodeArrowBody reports schema_mismatch when the row count differs", () => {
  const body = encodeArrowBody(sampleBatch("readings", { rows: 4 }));
  assertMatch(
    expectCode("schema_mismatch", () => decodeArrowBody(body, "readings", 5)),
    /has 4 rows, header declares 5/,
  );
  assertMatch(
    expectCode("schema_mismatch", () => decodeArrowBody(body, "readings", 3)),
    /more than 3 rows/,
  );
  const schemaOnly = tableToIPC(tableFromIPC(body).slice(0, 0), "stream");
  assertMatch(
    expectCode("schema_mismatch", () => decodeArrowBody(schemaOnly, "readings", 1)),
    /has 0 rows/,
  );
});

Deno.test("decodeArrowBody reports corrupt_body for invalid UTF-8 text", () => {
  const batch = sampleBatch("readings", { rows: 2 });
  batch.columns.unit = ["ZZ", "é"];
  const body = encodeArrowBody(batch);
  const at = body.findIndex((_, i) => body[i] === 0x5A && body[i + 1] === 0x5A);
  body[at] = 0xFF;
  assertMatch(
    expectCode("corrupt_body", () => decodeArrowBody(body, "readings", 2)),
    /unit: text is not valid UTF-8/,
  );
  batch.columns.unit = ["é", "é"];
  const split = encodeArrowBody(batch);
  // Cut "é" (C3 A9) between the two rows' offsets: valid as a whole, invalid per value.
  const offsets = split.findIndex((_, i) =>
    split[i] === 0 && split[i + 4] === 2 && split[i + 8] === 4 && split[i + 1] === 0
  );
  assert(offsets >= 0, "found the offsets of unit");
  split[offsets + 4] = 1;
  split[offsets + 8] = 3;
  expectCode("corrupt_body", () => decodeArrowBody(split, "readings", 2));
});

Deno.test("decodeArrowBody reports corrupt_body for bytes that are not an Arrow stream", () => {
  expectCode("corrupt_body", () => decodeArrowBody(new Uint8Array([1, 2, 3]), "logs", 1));
  expectCode("corrupt_body", () => decodeArrowBody(new Uint8Array(8), "logs", 1));
  const file = tableToIPC(tableFromIPC(encodeArrowBody(sampleBatch("logs", { rows: 1 }))), "file");
  assertMatch(expectCode("corrupt_body", () => decodeArrowBody(file, "logs", 1)), /continuation/);
});
