/**
 * Checks rows against their kind's column list before they reach DuckDB, so a
 * bad row from an input is refused with a message naming the row and field,
 * instead of failing deep in a native call or poisoning a whole batch at the hub.
 *
 * @module
 */
import { PermanentError } from "@tributary/shared/errors";
import { type ColumnSpec, type Kind, kindColumns, type RowOf } from "@tributary/shared/records";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const COMMON_TIME_COLUMNS: readonly ColumnSpec[] = [
  { name: "ts", type: "ts_ns", doc: "" },
  { name: "recv_ts", type: "ts_ns", doc: "" },
];

/** True when `value` is an integer that fits a signed 32-bit column. */
export function isInt32(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= -2147483648 &&
    value <= 2147483647;
}

/** Why `value` does not fit a column of `spec`'s type, or `undefined` when it does. */
export function columnProblem(spec: ColumnSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case "ts_ns":
    case "i64":
      return typeof value === "bigint" && value >= INT64_MIN && value <= INT64_MAX
        ? undefined
        : "a bigint in the signed 64-bit range";
    case "i32":
      return isInt32(value) ? undefined : "an integer in the signed 32-bit range";
    case "f64":
      return typeof value === "number" && Number.isFinite(value) ? undefined : "a finite number";
    case "utf8":
      return typeof value === "string" ? undefined : "a string";
    case "json":
      return typeof value === "string" && isJsonObjectText(value)
        ? undefined
        : "the text of a JSON object, e.g. '{}'";
    case "i32_list":
      return Array.isArray(value) && value.every(isInt32)
        ? undefined
        : "an array of 32-bit integers";
  }
}

function isJsonObjectText(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/**
 * Checks every row of `rows` for `kind`: each column present with a value of
 * its type (ts and recv_ts bigint ns, json valid object text, lists of int32).
 *
 * @throws {PermanentError} reason `invalid_row`, naming the row index, field,
 * value seen and what is allowed.
 */
export function validateRows<K extends Kind>(
  kind: K,
  rows: readonly unknown[],
): asserts rows is readonly RowOf[K][] {
  const specs = [...COMMON_TIME_COLUMNS, ...kindColumns(kind)];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (typeof row !== "object" || row === null) {
      throw new PermanentError(
        "invalid_row",
        `${kind}[${i}]: got ${typeof row}, expected an object`,
      );
    }
    const record = row as Record<string, unknown>;
    for (const spec of specs) {
      const value = record[spec.name];
      const problem = columnProblem(spec, value);
      if (problem !== undefined) {
        throw new PermanentError(
          "invalid_row",
          `${kind}[${i}].${spec.name}: got ${describe(value)}, expected ${problem}`,
        );
      }
    }
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "bigint") return `${value}n`;
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}
