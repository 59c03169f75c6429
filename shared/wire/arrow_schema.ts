/**
 * The Arrow schema of a batch body, derived from `bodyColumns(kind)` in
 * records.ts so that a column added there reaches the wire in one step.
 *
 * @module
 */
import { Field, Float64, Int32, Int64, List, Schema, Utf8 } from "apache-arrow";
import type { DataType } from "apache-arrow";
import { bodyColumns, type ColumnType, type Kind } from "../records.ts";

/** Name of the child field of a `List<Int32>` column, as Arrow C++ and pyarrow write it. */
export const LIST_ITEM_NAME = "item";

/** The Arrow type that carries a column of logical type `type`. */
export function arrowTypeOf(type: ColumnType): DataType {
  switch (type) {
    case "ts_ns":
    case "i64":
      return new Int64();
    case "i32":
      return new Int32();
    case "f64":
      return new Float64();
    case "utf8":
    case "json":
      return new Utf8();
    case "i32_list":
      return new List(new Field(LIST_ITEM_NAME, new Int32(), false));
  }
}

/** A short, human-readable name of the Arrow type of `type`, for specs and error messages. */
export function arrowTypeName(type: ColumnType): string {
  switch (type) {
    case "ts_ns":
    case "i64":
      return "Int64";
    case "i32":
      return "Int32";
    case "f64":
      return "Float64";
    case "utf8":
    case "json":
      return "Utf8";
    case "i32_list":
      return "List<Int32>";
  }
}

/** The Arrow schema of a `kind` body: every column of `bodyColumns(kind)`, non-nullable, in order. */
export function arrowSchemaOf(kind: Kind): Schema {
  return new Schema(
    bodyColumns(kind).map((column) => new Field(column.name, arrowTypeOf(column.type), false)),
  );
}
