/**
 * Turns the rows of a {@linkcode Batch} into DuckDB data chunks for the hub
 * table of its kind, and checks a batch's shape before it reaches a transaction.
 *
 * @module
 */
import {
  type DuckDBDataChunk,
  DuckDBTimestampNanosecondsValue,
  type DuckDBValue,
  listValue,
} from "@duckdb/node-api";
import { PermanentError } from "@tributary/shared/errors";
import type { ChunkShape } from "@tributary/shared/sql/chunks";
import {
  type Batch,
  bodyColumns,
  type ColumnType,
  type ColumnValues,
} from "@tributary/shared/records";
import type { HubColumn } from "./schema.ts";

/** DuckDB's standard vector size: the most rows one data chunk holds. */
export const CHUNK_ROWS = 2048;

/**
 * Checks that `batch` holds every body column of its kind with `rowCount`
 * values of the right in-memory type, that `seq` ascends within
 * [firstSeq, lastSeq] and that JSON columns hold valid JSON (DuckDB stores
 * JSON unchecked, and one bad value would break every query on the column).
 *
 * @throws {PermanentError} reason `schema_mismatch` naming the column and what is wrong.
 */
export function checkBatch(batch: Batch): void {
  const fail = (message: string): never => {
    throw new PermanentError("schema_mismatch", `${batch.agent}/${batch.stream}: ${message}`);
  };
  if (!Number.isSafeInteger(batch.rowCount) || batch.rowCount < 0) {
    fail(`rowCount ${batch.rowCount} is not a non-negative integer`);
  }
  if (batch.firstSeq > batch.lastSeq) {
    fail(`firstSeq ${batch.firstSeq} is above lastSeq ${batch.lastSeq}`);
  }
  for (const spec of bodyColumns(batch.stream)) {
    const values = batch.columns[spec.name];
    if (values === undefined) fail(`column ${spec.name} is missing`);
    if (!hasType(values!, spec.type)) fail(`column ${spec.name} is not of type ${spec.type}`);
    if (values!.length !== batch.rowCount) {
      fail(`column ${spec.name} has ${values!.length} values, rowCount is ${batch.rowCount}`);
    }
    if (spec.type === "json") {
      const texts = values as string[];
      for (let i = 0; i < texts.length; i++) {
        try {
          JSON.parse(texts[i]!);
        } catch {
          fail(`column ${spec.name} row ${i} is not valid JSON: ${texts[i]!.slice(0, 40)}`);
        }
      }
    }
  }
  const seq = batch.columns.seq as BigInt64Array;
  let previous = batch.firstSeq - 1n;
  for (let i = 0; i < seq.length; i++) {
    const s = seq[i]!;
    if (s <= previous || s > batch.lastSeq) {
      fail(`seq[${i}] = ${s} does not ascend within [${batch.firstSeq}, ${batch.lastSeq}]`);
    }
    previous = s;
  }
}

function hasType(values: ColumnValues, type: ColumnType): boolean {
  switch (type) {
    case "ts_ns":
    case "i64":
      return values instanceof BigInt64Array;
    case "i32":
      return values instanceof Int32Array;
    case "f64":
      return values instanceof Float64Array;
    case "utf8":
    case "json":
      return Array.isArray(values) && values.every((v) => typeof v === "string");
    case "i32_list":
      return Array.isArray(values) && values.every((v) => v instanceof Int32Array);
  }
}

/** What the non-body columns of a hub table hold for one batch. */
export interface RowContext {
  agent: string;
  ingestedAt: bigint;
}

/**
 * Fills `chunk` (made by `shape`, the hub table's column types, with
 * `rows.length` rows) with the batch rows at indices `rows`, in hub column order.
 */
export function fillChunk(
  shape: ChunkShape,
  chunk: DuckDBDataChunk,
  columns: readonly HubColumn[],
  batch: Batch,
  rows: ArrayLike<number>,
  context: RowContext,
): void {
  const n = rows.length;
  columns.forEach((column, columnIndex) => {
    const values: DuckDBValue[] = new Array(n);
    if (column.source === "agent") {
      values.fill(context.agent);
    } else if (column.source === "ingested_at") {
      values.fill(new DuckDBTimestampNanosecondsValue(context.ingestedAt));
    } else {
      const source = batch.columns[column.name]!;
      const convert = toDuckDB(column.type!);
      for (let i = 0; i < n; i++) values[i] = convert(source, rows[i]!);
    }
    shape.setColumn(chunk, columnIndex, values);
  });
}

type Converter = (source: ColumnValues, row: number) => DuckDBValue;

function toDuckDB(type: ColumnType): Converter {
  switch (type) {
    case "ts_ns":
      return (s, r) => new DuckDBTimestampNanosecondsValue((s as BigInt64Array)[r]!);
    case "i64":
      return (s, r) => (s as BigInt64Array)[r]!;
    case "i32":
      return (s, r) => (s as Int32Array)[r]!;
    case "f64":
      return (s, r) => (s as Float64Array)[r]!;
    case "utf8":
    case "json":
      return (s, r) => (s as string[])[r]!;
    case "i32_list":
      return (s, r) => listValue(Array.from((s as Int32Array[])[r]!));
  }
}
