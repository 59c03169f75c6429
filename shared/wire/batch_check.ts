/**
 * Checks a {@linkcode Batch} before it is encoded. A bad batch is a bug in the
 * caller, not bad wire input, so this throws `TypeError` / `RangeError`
 * naming the field, the value seen and what is allowed.
 *
 * @module
 */
import { AGENT_ID_RULE, isAgentId } from "../ids.ts";
import { type Batch, bodyColumns, type ColumnType, isKind, KINDS } from "../records.ts";
import { findSequenceFault } from "./sequence.ts";

/** Largest value of the u64 sequence fields of the envelope. */
export const MAX_SEQ = (1n << 64n) - 1n;

/** Most rows one message can declare (the envelope's row count is a u32). */
export const MAX_ROWS_PER_BATCH = 0xFFFF_FFFF;

/**
 * Throws unless `batch` can be encoded: a valid agent id and stream, a
 * sequence range in u64, a row count of at least 1 and no more than the range
 * holds, and every column of `bodyColumns(stream)` present with the right
 * JavaScript type and `rowCount` values. Columns not in the schema are ignored.
 *
 * @throws {TypeError} when a field has the wrong type.
 * @throws {RangeError} when a value is out of range.
 */
export function checkBatch(batch: Batch): void {
  if (typeof batch !== "object" || batch === null) {
    throw new TypeError(`batch: got ${String(batch)}, expected an object`);
  }
  if (!isAgentId(batch.agent)) {
    throw new RangeError(`batch.agent: got ${show(batch.agent)}, expected ${AGENT_ID_RULE}`);
  }
  if (!isKind(batch.stream)) {
    throw new RangeError(`batch.stream: got ${show(batch.stream)}, expected one of ${KINDS}`);
  }
  for (const key of ["firstSeq", "lastSeq"] as const) {
    const value: unknown = batch[key];
    if (typeof value !== "bigint") {
      throw new TypeError(`batch.${key}: got ${show(value)}, expected a bigint`);
    }
    if (value < 0n || value > MAX_SEQ) {
      throw new RangeError(`batch.${key}: got ${value}, expected 0..2^64-1`);
    }
  }
  if (batch.lastSeq < batch.firstSeq) {
    throw new RangeError(
      `batch.lastSeq: got ${batch.lastSeq}, expected at least firstSeq ${batch.firstSeq}`,
    );
  }
  const span = batch.lastSeq - batch.firstSeq + 1n;
  if (
    !Number.isSafeInteger(batch.rowCount) || batch.rowCount < 1 ||
    batch.rowCount > MAX_ROWS_PER_BATCH || BigInt(batch.rowCount) > span
  ) {
    throw new RangeError(
      `batch.rowCount: got ${show(batch.rowCount)}, expected an integer 1..${
        span < BigInt(MAX_ROWS_PER_BATCH) ? span : MAX_ROWS_PER_BATCH
      } (rows the sequence range ${batch.firstSeq}..${batch.lastSeq} holds)`,
    );
  }
  if (typeof batch.columns !== "object" || batch.columns === null) {
    throw new TypeError(`batch.columns: got ${show(batch.columns)}, expected an object`);
  }
  for (const column of bodyColumns(batch.stream)) {
    checkColumn(`batch.columns.${column.name}`, batch.columns[column.name], column.type, batch);
  }
  const fault = findSequenceFault(
    batch.columns.seq as BigInt64Array,
    batch.firstSeq,
    batch.lastSeq,
  );
  if (fault !== undefined) throw new RangeError(`batch.columns.${fault}`);
}

function checkColumn(field: string, values: unknown, type: ColumnType, batch: Batch): void {
  const expected = EXPECTED[type];
  if (!expected.is(values)) {
    throw new TypeError(`${field}: got ${describeType(values)}, expected ${expected.name}`);
  }
  if (values.length !== batch.rowCount) {
    throw new RangeError(
      `${field}: got ${values.length} values, expected rowCount ${batch.rowCount}`,
    );
  }
  if (type === "utf8" || type === "json") {
    const strings = values as unknown[];
    for (let i = 0; i < strings.length; i++) {
      if (typeof strings[i] !== "string") {
        throw new TypeError(`${field}[${i}]: got ${describeType(strings[i])}, expected a string`);
      }
    }
  } else if (type === "i32_list") {
    const lists = values as unknown[];
    for (let i = 0; i < lists.length; i++) {
      if (!(lists[i] instanceof Int32Array)) {
        throw new TypeError(
          `${field}[${i}]: got ${describeType(lists[i])}, expected an Int32Array`,
        );
      }
    }
  }
}

interface Expected {
  name: string;
  is(values: unknown): values is { length: number };
}

const EXPECTED: Readonly<Record<ColumnType, Expected>> = {
  ts_ns: { name: "a BigInt64Array", is: (v) => v instanceof BigInt64Array },
  i64: { name: "a BigInt64Array", is: (v) => v instanceof BigInt64Array },
  i32: { name: "an Int32Array", is: (v) => v instanceof Int32Array },
  f64: { name: "a Float64Array", is: (v) => v instanceof Float64Array },
  utf8: { name: "an array of strings", is: (v) => Array.isArray(v) },
  json: { name: "an array of JSON strings", is: (v) => Array.isArray(v) },
  i32_list: { name: "an array of Int32Array", is: (v) => Array.isArray(v) },
};

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (typeof value === "object") return value.constructor?.name ?? "an object";
  return `${typeof value} ${show(value)}`;
}

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value.slice(0, 80));
  return String(value);
}
