/**
 * A strict reader of the Arrow IPC *stream* format, limited to what wire
 * format v1 needs: one schema message, then record batches, then an optional
 * end-of-stream marker. Every length and offset is checked against the bytes
 * before use, so hostile input costs time linear in its size and nothing more.
 *
 * Spec: https://arrow.apache.org/docs/format/Columnar.html#serialization-and-interprocess-communication-ipc
 *
 * @module
 */
import { FlatBufferError, FlatTable } from "./flatbuffer.ts";
import { WireError } from "./errors.ts";

/** `0xFFFFFFFF`: the word that starts every message since Arrow 0.15. */
const CONTINUATION = 0xFFFF_FFFF;
/** `MetadataVersion.V5`, written by every Arrow implementation since 1.0. */
export const METADATA_V5 = 4;
/** `MessageHeader` union ids. */
const HEADER_SCHEMA = 1;
const HEADER_RECORD_BATCH = 3;
/** `Type` union id of Arrow `Int`. */
export const TYPE_INT = 2;
/** `Type` union id of Arrow `FloatingPoint`. */
export const TYPE_FLOATING_POINT = 3;
/** `Type` union id of Arrow `Utf8`. */
export const TYPE_UTF8 = 5;
/** `Type` union id of Arrow `List`. */
export const TYPE_LIST = 12;
/** Deepest field nesting read (a List and its child), and most fields in one schema. */
const MAX_FIELD_DEPTH = 2;
const MAX_FIELDS = 256;

/** An Arrow data type, as far as wire format v1 tells types apart. */
export type IpcType =
  | { readonly id: typeof TYPE_INT; readonly bitWidth: number; readonly signed: boolean }
  | { readonly id: typeof TYPE_FLOATING_POINT; readonly precision: number }
  | { readonly id: number };

/** One field of the schema message. */
export interface IpcField {
  readonly name: string;
  readonly nullable: boolean;
  readonly type: IpcType;
  /** True when the field is dictionary-encoded. */
  readonly dictionary: boolean;
  readonly children: readonly IpcField[];
}

/** One `FieldNode` of a record batch: a field's length and null count, in pre-order. */
export interface IpcFieldNode {
  readonly length: number;
  readonly nullCount: number;
}

/** One record batch: its length, field nodes, and buffers as views of the stream bytes. */
export interface IpcRecordBatch {
  readonly length: number;
  readonly nodes: readonly IpcFieldNode[];
  readonly buffers: readonly Uint8Array[];
}

/** A whole stream: its schema (little-endian is required) and its record batches. */
export interface IpcStream {
  readonly fields: readonly IpcField[];
  readonly batches: readonly IpcRecordBatch[];
}

/** Options of {@linkcode readIpcStream}. */
export interface ReadIpcStreamOptions {
  /**
   * Called with the schema as soon as it is read, before any batch: a caller
   * that expects a fixed schema throws here, so a wrong schema is reported as
   * such rather than as whatever breaks later (a dictionary batch, say).
   */
  onSchema?: (fields: readonly IpcField[]) => void;
}

/**
 * Reads an Arrow IPC stream.
 *
 * @throws {WireError} `corrupt_body` when the bytes are not a well-formed
 * stream, or use a feature v1 leaves out (big-endian data, legacy framing,
 * metadata older than V5, dictionary batches, IPC buffer compression).
 */
export function readIpcStream(bytes: Uint8Array, options: ReadIpcStreamOptions = {}): IpcStream {
  try {
    return readStream(bytes, options);
  } catch (error) {
    if (error instanceof FlatBufferError) {
      throw new WireError("corrupt_body", `body: bad Arrow metadata: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

function corrupt(message: string): WireError {
  return new WireError("corrupt_body", `body: ${message}`);
}

function readStream(bytes: Uint8Array, options: ReadIpcStreamOptions): IpcStream {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fields: readonly IpcField[] | undefined;
  const batches: IpcRecordBatch[] = [];
  let pos = 0;
  while (pos < bytes.byteLength) {
    if (pos + 8 > bytes.byteLength) corruptAt(pos, "a message prefix is cut short");
    if (view.getUint32(pos, true) !== CONTINUATION) {
      corruptAt(pos, "expected the continuation marker 0xFFFFFFFF");
    }
    const metadataLength = view.getInt32(pos + 4, true);
    pos += 8;
    if (metadataLength === 0) {
      if (pos !== bytes.byteLength) {
        corruptAt(pos, `${bytes.byteLength - pos} bytes follow the end-of-stream marker`);
      }
      break;
    }
    if (metadataLength < 0 || metadataLength > bytes.byteLength - pos) {
      corruptAt(
        pos,
        `metadata length ${metadataLength} exceeds the ${bytes.byteLength - pos} bytes left`,
      );
    }
    const message = FlatTable.root(bytes.subarray(pos, pos + metadataLength));
    pos += metadataLength;
    const version = message.int16(0, 0);
    if (version !== METADATA_V5) {
      corruptAt(pos, `metadata version ${version}, expected ${METADATA_V5} (V5)`);
    }
    const bodyLength = message.int64(3, 0n);
    if (bodyLength < 0n || bodyLength > BigInt(bytes.byteLength - pos)) {
      corruptAt(
        pos,
        `message body length ${bodyLength} exceeds the ${bytes.byteLength - pos} bytes left`,
      );
    }
    const body = bytes.subarray(pos, pos + Number(bodyLength));
    pos += body.byteLength;
    const headerType = message.uint8(1, 0);
    const header = message.table(2);
    if (header === undefined) corruptAt(pos, "message has no header");
    if (headerType === HEADER_SCHEMA) {
      if (fields !== undefined) corruptAt(pos, "a second schema message");
      fields = readSchema(header);
      options.onSchema?.(fields);
    } else if (headerType === HEADER_RECORD_BATCH) {
      if (fields === undefined) corruptAt(pos, "a record batch before the schema");
      batches.push(readRecordBatch(header, body));
    } else {
      corruptAt(pos, `message type ${headerType}, expected a schema (1) or record batch (3)`);
    }
  }
  if (fields === undefined) throw corrupt("Arrow stream has no schema message");
  return { fields, batches };
}

function corruptAt(pos: number, message: string): never {
  throw corrupt(`Arrow stream at byte ${pos}: ${message}`);
}

function readSchema(schema: FlatTable): IpcField[] {
  const endianness = schema.int16(0, 0);
  if (endianness !== 0) throw corrupt(`Arrow schema is big-endian; v1 requires little-endian`);
  const budget = { fields: MAX_FIELDS };
  return readFields(schema, 1, 1, budget);
}

function readFields(
  table: FlatTable,
  id: number,
  depth: number,
  budget: { fields: number },
): IpcField[] {
  const vector = table.vector(id, 4);
  if (vector === undefined) return [];
  if (depth > MAX_FIELD_DEPTH && vector.length > 0) {
    throw corrupt(`Arrow schema nests fields deeper than ${MAX_FIELD_DEPTH} levels`);
  }
  budget.fields -= vector.length;
  if (budget.fields < 0) throw corrupt(`Arrow schema has more than ${MAX_FIELDS} fields`);
  const fields: IpcField[] = [];
  for (let i = 0; i < vector.length; i++) {
    const field = table.tableAt(vector, i);
    fields.push({
      name: field.string(0) ?? "",
      nullable: field.uint8(1, 0) !== 0,
      type: readType(field.uint8(2, 0), field.table(3)),
      dictionary: field.has(4),
      children: readFields(field, 5, depth + 1, budget),
    });
  }
  return fields;
}

function readType(id: number, table: FlatTable | undefined): IpcType {
  if (id === TYPE_INT && table !== undefined) {
    return { id, bitWidth: table.int32(0, 0), signed: table.uint8(1, 0) !== 0 };
  }
  if (id === TYPE_FLOATING_POINT && table !== undefined) {
    return { id, precision: table.int16(0, 0) };
  }
  return { id };
}

/** Size of the `FieldNode` and `Buffer` structs: two longs each. */
const STRUCT_SIZE = 16;

function readRecordBatch(batch: FlatTable, body: Uint8Array): IpcRecordBatch {
  const length = toLength(batch.int64(0, 0n), "record batch length");
  if (batch.has(3)) throw corrupt("Arrow record batch uses IPC buffer compression; v1 does not");
  const variadic = batch.vector(4, 8);
  if (variadic !== undefined && variadic.length > 0) {
    throw corrupt("Arrow record batch has variadic buffers; v1 has no view types");
  }
  const nodeVector = batch.vector(1, STRUCT_SIZE);
  const nodes: IpcFieldNode[] = [];
  for (let i = 0; i < (nodeVector?.length ?? 0); i++) {
    nodes.push({
      length: toLength(batch.structInt64(nodeVector!, i, STRUCT_SIZE, 0), `field node ${i} length`),
      nullCount: toLength(
        batch.structInt64(nodeVector!, i, STRUCT_SIZE, 8),
        `field node ${i} null count`,
      ),
    });
  }
  const bufferVector = batch.vector(2, STRUCT_SIZE);
  const buffers: Uint8Array[] = [];
  for (let i = 0; i < (bufferVector?.length ?? 0); i++) {
    const offset = batch.structInt64(bufferVector!, i, STRUCT_SIZE, 0);
    const size = batch.structInt64(bufferVector!, i, STRUCT_SIZE, 8);
    if (offset < 0n || size < 0n || offset + size > BigInt(body.byteLength)) {
      throw corrupt(
        `Arrow buffer ${i} (offset ${offset}, length ${size}) lies outside a body of ${body.byteLength} bytes`,
      );
    }
    buffers.push(body.subarray(Number(offset), Number(offset + size)));
  }
  return { length, nodes, buffers };
}

function toLength(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw corrupt(`Arrow ${what} is ${value}`);
  }
  return Number(value);
}
