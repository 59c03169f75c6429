/**
 * Columns → Arrow IPC stream, through apache-arrow's own writer (so the body
 * is what any Arrow implementation writes). Buffers are built straight from
 * the typed arrays, without per-row objects.
 *
 * @module
 */
import {
  type Data,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Struct,
  Utf8,
} from "apache-arrow";
import { type Batch, bodyColumns, type ColumnType } from "../records.ts";
import { arrowSchemaOf, LIST_ITEM_NAME } from "./arrow_schema.ts";

/** Largest offset an Arrow `Utf8` or `List` column can hold (offsets are Int32). */
const MAX_OFFSET = 0x7FFF_FFFF;

/**
 * Writes the columns of `batch` as an Arrow IPC stream: one schema message,
 * one record batch, end-of-stream marker. Assumes `checkBatch(batch)` passed.
 *
 * @throws {RangeError} when a text or list column holds more than 2^31 - 1 bytes or items.
 */
export function encodeArrowBody(batch: Batch): Uint8Array {
  const schema = arrowSchemaOf(batch.stream);
  const children = bodyColumns(batch.stream).map((column) =>
    columnData(column.name, column.type, batch.columns[column.name], batch.rowCount)
  );
  const struct = makeData({
    type: new Struct(schema.fields),
    length: batch.rowCount,
    nullCount: 0,
    children,
  });
  const writer = new RecordBatchStreamWriter();
  writer.write(new RecordBatch(schema, struct));
  writer.finish();
  return writer.toUint8Array(true);
}

function columnData(name: string, type: ColumnType, values: unknown, length: number): Data {
  switch (type) {
    case "ts_ns":
    case "i64":
      return makeData({ type: new Int64(), length, nullCount: 0, data: values as BigInt64Array });
    case "i32":
      return makeData({ type: new Int32(), length, nullCount: 0, data: values as Int32Array });
    case "f64":
      return makeData({ type: new Float64(), length, nullCount: 0, data: values as Float64Array });
    case "utf8":
    case "json": {
      const { offsets, data } = encodeUtf8(name, values as readonly string[]);
      return makeData({ type: new Utf8(), length, nullCount: 0, valueOffsets: offsets, data });
    }
    case "i32_list": {
      const { offsets, items } = flattenLists(name, values as readonly Int32Array[]);
      const itemField = new Field(LIST_ITEM_NAME, new Int32(), false);
      return makeData({
        type: new List(itemField),
        length,
        nullCount: 0,
        valueOffsets: offsets,
        child: makeData({ type: new Int32(), length: items.length, nullCount: 0, data: items }),
      });
    }
  }
}

/**
 * UTF-8 bytes of `values` laid end to end, with Arrow offsets. ASCII is copied
 * char by char (the common case, and faster than a TextEncoder call per value);
 * anything else goes through `encodeInto`, which writes U+FFFD for a lone surrogate.
 */
export function encodeUtf8(
  name: string,
  values: readonly string[],
): { offsets: Int32Array; data: Uint8Array } {
  const offsets = new Int32Array(values.length + 1);
  let units = 0;
  for (let i = 0; i < values.length; i++) units += values[i]!.length;
  let data = new Uint8Array(Math.max(64, units + (units >>> 3)));
  const encoder = new TextEncoder();
  let pos = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    const worst = pos + value.length * 3;
    if (worst > data.length) {
      const grown = new Uint8Array(Math.max(worst, data.length * 2));
      grown.set(data.subarray(0, pos));
      data = grown;
    }
    const start = pos;
    for (let j = 0; j < value.length; j++) {
      const code = value.charCodeAt(j);
      if (code >= 0x80) {
        pos = start + encoder.encodeInto(value, data.subarray(start)).written;
        break;
      }
      data[pos++] = code;
    }
    if (pos > MAX_OFFSET) {
      throw new RangeError(`batch.columns.${name}: more than ${MAX_OFFSET} bytes of text`);
    }
    offsets[i + 1] = pos;
  }
  return { offsets, data: data.subarray(0, pos) };
}

function flattenLists(
  name: string,
  lists: readonly Int32Array[],
): { offsets: Int32Array; items: Int32Array } {
  const offsets = new Int32Array(lists.length + 1);
  let total = 0;
  for (let i = 0; i < lists.length; i++) {
    total += lists[i]!.length;
    if (total > MAX_OFFSET) {
      throw new RangeError(`batch.columns.${name}: more than ${MAX_OFFSET} list items`);
    }
    offsets[i + 1] = total;
  }
  const items = new Int32Array(total);
  for (let i = 0; i < lists.length; i++) items.set(lists[i]!, offsets[i]!);
  return { offsets, items };
}
