/**
 * Arrow IPC stream → columns, checked against the schema of the stream's kind.
 *
 * Parsing (`ipc_stream.ts`) reports malformed bytes as `corrupt_body`; this
 * file reports well-formed Arrow that is not a v1 body as `schema_mismatch`:
 * wrong column names, types or order, nulls, or a row count other than the
 * envelope's. Buffer extents are checked before any copy, so allocation stays
 * within a small multiple of the body size.
 *
 * @module
 */
import {
  bodyColumns,
  type Columns,
  type ColumnSpec,
  type ColumnType,
  type Kind,
} from "../records.ts";
import { arrowTypeName } from "./arrow_schema.ts";
import { WireError } from "./errors.ts";
import {
  type IpcField,
  type IpcRecordBatch,
  type IpcType,
  readIpcStream,
  TYPE_FLOATING_POINT,
  TYPE_INT,
  TYPE_LIST,
  TYPE_UTF8,
} from "./ipc_stream.ts";

/** `Precision.DOUBLE` of Arrow's FloatingPoint type. */
const PRECISION_DOUBLE = 2;

/**
 * Decodes an Arrow IPC stream holding `rowCount` rows of `kind`.
 *
 * @throws {WireError} `corrupt_body` for malformed Arrow, `schema_mismatch`
 * for well-formed Arrow with the wrong columns, nulls or row count.
 */
export function decodeArrowBody(raw: Uint8Array, kind: Kind, rowCount: number): Columns {
  const specs = bodyColumns(kind);
  const stream = readIpcStream(raw, { onSchema: (fields) => checkSchema(fields, specs, kind) });
  let total = 0;
  for (const batch of stream.batches) {
    total += batch.length;
    if (total > rowCount) break;
    checkBatchLayout(batch, specs);
  }
  if (total !== rowCount) {
    const seen = total > rowCount ? `more than ${rowCount}` : `${total}`;
    throw mismatch(`Arrow body has ${seen} rows, header declares ${rowCount}`);
  }
  const columns: Columns = {};
  let node = 0;
  let buffer = 0;
  for (const spec of specs) {
    columns[spec.name] = readColumn(spec, stream.batches, node, buffer, rowCount);
    node += spec.type === "i32_list" ? 2 : 1;
    buffer += BUFFERS_PER_COLUMN[spec.type];
  }
  return columns;
}

function mismatch(message: string): WireError {
  return new WireError("schema_mismatch", `body: ${message}`);
}

function corrupt(message: string): WireError {
  return new WireError("corrupt_body", `body: ${message}`);
}

function checkSchema(fields: readonly IpcField[], specs: readonly ColumnSpec[], kind: Kind): void {
  if (fields.length !== specs.length) {
    throw mismatch(
      `Arrow schema has ${fields.length} columns (${
        fields.map((f) => f.name)
      }), ${kind} needs ${specs.length} (${specs.map((s) => s.name)})`,
    );
  }
  for (let i = 0; i < specs.length; i++) {
    const field = fields[i]!;
    const spec = specs[i]!;
    if (field.name !== spec.name) {
      throw mismatch(`column ${i}: got name ${JSON.stringify(field.name)}, expected ${spec.name}`);
    }
    if (field.dictionary || !typeMatches(field, spec.type)) {
      throw mismatch(
        `column ${spec.name}: got Arrow type ${describeField(field)}, expected ${
          arrowTypeName(spec.type)
        }`,
      );
    }
  }
}

function typeMatches(field: IpcField, type: ColumnType): boolean {
  switch (type) {
    case "ts_ns":
    case "i64":
      return isInt(field.type, 64) && field.children.length === 0;
    case "i32":
      return isInt(field.type, 32) && field.children.length === 0;
    case "f64":
      return field.type.id === TYPE_FLOATING_POINT && "precision" in field.type &&
        field.type.precision === PRECISION_DOUBLE && field.children.length === 0;
    case "utf8":
    case "json":
      return field.type.id === TYPE_UTF8 && field.children.length === 0;
    case "i32_list": {
      // The child's name is not checked: Arrow implementations differ ("item", "element").
      const child = field.children[0];
      return field.type.id === TYPE_LIST && field.children.length === 1 &&
        child !== undefined && !child.dictionary && isInt(child.type, 32) &&
        child.children.length === 0;
    }
  }
}

function isInt(type: IpcType, bitWidth: number): boolean {
  return type.id === TYPE_INT && "bitWidth" in type && type.bitWidth === bitWidth && type.signed;
}

function describeField(field: IpcField): string {
  const type = field.type;
  let name = `type id ${type.id}`;
  if ("bitWidth" in type) name = `${type.signed ? "Int" : "Uint"}${type.bitWidth}`;
  else if ("precision" in type) name = `Float(precision ${type.precision})`;
  else if (type.id === TYPE_UTF8) name = "Utf8";
  else if (type.id === TYPE_LIST) {
    name = `List<${field.children[0] ? describeField(field.children[0]) : "?"}>`;
  }
  return field.dictionary ? `Dictionary<${name}>` : name;
}

/** Arrow buffers per column, in IPC order: validity + values, or validity + offsets (+ data). */
const BUFFERS_PER_COLUMN: Readonly<Record<ColumnType, number>> = {
  ts_ns: 2,
  i64: 2,
  i32: 2,
  f64: 2,
  utf8: 3,
  json: 3,
  i32_list: 4,
};

/** Byte width of fixed-size values. */
const WIDTH: Readonly<Record<"ts_ns" | "i64" | "i32" | "f64", number>> = {
  ts_ns: 8,
  i64: 8,
  i32: 4,
  f64: 8,
};

/**
 * Checks one record batch's nodes and buffers against the schema before
 * anything is copied: counts, lengths, no nulls, buffers large enough, offsets
 * ascending and within their data.
 */
function checkBatchLayout(batch: IpcRecordBatch, specs: readonly ColumnSpec[]): void {
  let expectedNodes = 0;
  let expectedBuffers = 0;
  for (const spec of specs) {
    expectedNodes += spec.type === "i32_list" ? 2 : 1;
    expectedBuffers += BUFFERS_PER_COLUMN[spec.type];
  }
  if (batch.nodes.length !== expectedNodes || batch.buffers.length !== expectedBuffers) {
    throw corrupt(
      `Arrow record batch has ${batch.nodes.length} field nodes and ${batch.buffers.length} buffers, the schema needs ${expectedNodes} and ${expectedBuffers}`,
    );
  }
  let n = 0;
  let b = 0;
  for (const spec of specs) {
    const node = batch.nodes[n]!;
    if (node.nullCount !== 0) throw mismatch(`column ${spec.name} has ${node.nullCount} nulls`);
    if (node.length !== batch.length) {
      throw corrupt(
        `column ${spec.name} has ${node.length} values in a record batch of ${batch.length} rows`,
      );
    }
    const length = batch.length;
    switch (spec.type) {
      case "ts_ns":
      case "i64":
      case "i32":
      case "f64":
        needBytes(spec.name, "values", batch.buffers[b + 1]!, length * WIDTH[spec.type]);
        break;
      case "utf8":
      case "json": {
        const last = checkOffsets(spec.name, batch.buffers[b + 1]!, length);
        const text = batch.buffers[b + 2]!.byteLength;
        if (last > text) {
          throw corrupt(`column ${spec.name}: offsets reach byte ${last} of ${text} bytes of text`);
        }
        break;
      }
      case "i32_list": {
        const child = batch.nodes[n + 1]!;
        if (child.nullCount !== 0) {
          throw mismatch(`column ${spec.name} has ${child.nullCount} null list items`);
        }
        const last = checkOffsets(spec.name, batch.buffers[b + 1]!, length);
        if (last > child.length) {
          throw corrupt(`column ${spec.name}: offsets reach item ${last} of ${child.length}`);
        }
        needBytes(spec.name, "list items", batch.buffers[b + 3]!, child.length * 4);
        break;
      }
    }
    n += spec.type === "i32_list" ? 2 : 1;
    b += BUFFERS_PER_COLUMN[spec.type];
  }
}

function needBytes(name: string, what: string, buffer: Uint8Array, bytes: number): void {
  if (buffer.byteLength < bytes) {
    throw corrupt(`column ${name}: ${what} buffer has ${buffer.byteLength} bytes, needs ${bytes}`);
  }
}

/** Copies `length + 1` Int32 offsets into an aligned array (IPC buffers need not be aligned here). */
function readOffsets(buffer: Uint8Array, length: number): Int32Array {
  return new Int32Array(copyBytes(buffer, (length + 1) * 4));
}

/** The first `length` bytes of `buffer` in a fresh, aligned ArrayBuffer (even if `buffer` is a Node Buffer). */
function copyBytes(buffer: Uint8Array, length: number): ArrayBuffer {
  const copy = new Uint8Array(length);
  copy.set(buffer.subarray(0, length));
  return copy.buffer;
}

/** Checks offsets start at 0 or more and never decrease; returns the last one. */
function checkOffsets(name: string, buffer: Uint8Array, length: number): number {
  needBytes(name, "offsets", buffer, (length + 1) * 4);
  const offsets = readOffsets(buffer, length);
  if (offsets[0]! < 0) throw corrupt(`column ${name}: offset[0] is ${offsets[0]}`);
  for (let i = 1; i <= length; i++) {
    if (offsets[i]! < offsets[i - 1]!) {
      throw corrupt(`column ${name}: offset[${i}] = ${offsets[i]} is below offset[${i - 1}]`);
    }
  }
  return offsets[length]!;
}

function readColumn(
  spec: ColumnSpec,
  batches: readonly IpcRecordBatch[],
  node: number,
  buffer: number,
  rowCount: number,
): Columns[string] {
  switch (spec.type) {
    case "ts_ns":
    case "i64":
      return copyFixed(new BigInt64Array(rowCount), batches, buffer + 1, 8);
    case "i32":
      return copyFixed(new Int32Array(rowCount), batches, buffer + 1, 4);
    case "f64":
      return copyFixed(new Float64Array(rowCount), batches, buffer + 1, 8);
    case "utf8":
    case "json":
      return readStrings(spec.name, batches, buffer, rowCount);
    case "i32_list":
      return readLists(batches, node, buffer, rowCount);
  }
}

/** Copies each batch's values buffer into `target` (a fresh, aligned array). */
function copyFixed<T extends BigInt64Array | Int32Array | Float64Array>(
  target: T,
  batches: readonly IpcRecordBatch[],
  buffer: number,
  width: number,
): T {
  const bytes = new Uint8Array(target.buffer);
  let row = 0;
  for (const batch of batches) {
    bytes.set(batch.buffers[buffer]!.subarray(0, batch.length * width), row * width);
    row += batch.length;
  }
  return target;
}

function readStrings(
  name: string,
  batches: readonly IpcRecordBatch[],
  buffer: number,
  rowCount: number,
): string[] {
  const strings = new Array<string>(rowCount);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let row = 0;
  for (const batch of batches) {
    const offsets = readOffsets(batch.buffers[buffer + 1]!, batch.length);
    const data = batch.buffers[buffer + 2]!;
    const start = offsets[0]!;
    const end = offsets[batch.length]!;
    let text: string;
    try {
      text = decoder.decode(data.subarray(start, end));
    } catch {
      throw corrupt(`column ${name}: text is not valid UTF-8`);
    }
    if (text.length === end - start) {
      // All ASCII (one UTF-16 unit per byte): cut the one decoded string, no per-row decode.
      for (let i = 0; i < batch.length; i++) {
        strings[row++] = text.slice(offsets[i]! - start, offsets[i + 1]! - start);
      }
    } else {
      for (let i = 0; i < batch.length; i++) {
        try {
          strings[row++] = decoder.decode(data.subarray(offsets[i]!, offsets[i + 1]!));
        } catch {
          throw corrupt(`column ${name}: value ${row - 1} is not valid UTF-8`);
        }
      }
    }
  }
  return strings;
}

function readLists(
  batches: readonly IpcRecordBatch[],
  node: number,
  buffer: number,
  rowCount: number,
): Int32Array[] {
  const lists = new Array<Int32Array>(rowCount);
  let row = 0;
  for (const batch of batches) {
    const offsets = readOffsets(batch.buffers[buffer + 1]!, batch.length);
    const itemCount = batch.nodes[node + 1]!.length;
    const items = new Int32Array(copyBytes(batch.buffers[buffer + 3]!, itemCount * 4));
    for (let i = 0; i < batch.length; i++) {
      lists[row++] = items.subarray(offsets[i]!, offsets[i + 1]!);
    }
  }
  return lists;
}
