/**
 * Builds the SQL of the convenience endpoints with `$n` placeholders, so that
 * no request value is ever spliced into SQL text.
 *
 * @module
 */
import { DuckDBTimestampNanosecondsValue, type DuckDBValue } from "@duckdb/node-api";

/** Collects parameter values and WHERE conditions. */
export class SqlBuilder {
  readonly params: DuckDBValue[] = [];
  readonly where: string[] = [];

  /** Adds `value` as a parameter; returns its placeholder, e.g. `$3`. */
  param(value: DuckDBValue): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** A BIGINT parameter (a bare JS bigint would bind as HUGEINT). */
  bigint(value: bigint): string {
    return `CAST(${this.param(value)} AS BIGINT)`;
  }

  /** A TIMESTAMP_NS parameter from ns since the epoch. */
  time(ns: bigint): string {
    return this.param(new DuckDBTimestampNanosecondsValue(ns));
  }

  /** Adds `column = $n` when `value` is defined. */
  equals(column: string, value: string | undefined): this {
    if (value !== undefined) this.where.push(`${column} = ${this.param(value)}`);
    return this;
  }

  /** Adds `column IN ($n, ...)` when `values` is defined. */
  oneOf(column: string, values: readonly string[] | undefined): this {
    if (values !== undefined) {
      this.where.push(`${column} IN (${values.map((v) => this.param(v)).join(", ")})`);
    }
    return this;
  }

  /** Adds `ts >= $from AND ts < $to`. */
  timeRange(fromNs: bigint, toNs: bigint, column = "ts"): this {
    this.where.push(`${column} >= ${this.time(fromNs)}`, `${column} < ${this.time(toNs)}`);
    return this;
  }

  /** `WHERE a AND b ...`, or "" when there is no condition. */
  whereClause(): string {
    return this.where.length ? `WHERE ${this.where.join(" AND ")}` : "";
  }
}
