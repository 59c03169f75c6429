/**
 * Small helpers for the rollup unit tests: a batch from a few hand-written
 * rows, and an in-memory DuckDB holding only the rollup schema.
 *
 * @module
 */
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { type Batch, bodyColumns, type ColumnValues, type Kind } from "@tributary/shared/records";
import { Rollups } from "../mod.ts";
import type { RollupConfig } from "../config.ts";

/** One hand-written row: `ts` in ns, plus any kind column (others get a neutral value). */
export type TestRow = { ts: bigint } & Record<string, string | number | bigint>;

/** A batch of `kind` from `rows`, seq 1..n, agent `agent`. */
export function batchOf(kind: Kind, rows: readonly TestRow[], agent = "agent-1"): Batch {
  const n = rows.length;
  const columns: Record<string, ColumnValues> = {};
  for (const spec of bodyColumns(kind)) {
    const get = (row: TestRow) => row[spec.name];
    switch (spec.type) {
      case "ts_ns":
      case "i64":
        // seq 1..n; ts and recv_ts both the row's ts.
        columns[spec.name] = BigInt64Array.from(
          rows,
          (row, i) => (spec.name === "seq" ? BigInt(i + 1) : row.ts),
        );
        break;
      case "i32":
        columns[spec.name] = Int32Array.from(rows, (row) => Number(get(row) ?? 0));
        break;
      case "f64":
        columns[spec.name] = Float64Array.from(rows, (row) => Number(get(row) ?? 0));
        break;
      case "utf8":
        columns[spec.name] = rows.map((row) => String(get(row) ?? ""));
        break;
      case "json":
        columns[spec.name] = rows.map(() => "{}");
        break;
      case "i32_list":
        columns[spec.name] = rows.map(() => new Int32Array(0));
        break;
    }
  }
  return {
    agent,
    stream: kind,
    firstSeq: 1n,
    lastSeq: BigInt(Math.max(n, 1)),
    rowCount: n,
    columns,
  };
}

/** Runs `fn` with a connection to a fresh in-memory DuckDB holding the rollup schema. */
export async function withRollupDb(
  fn: (connection: DuckDBConnection, rollups: Rollups) => Promise<void>,
  config?: RollupConfig,
): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const rollups = new Rollups(config);
    for (const sql of rollups.schemaStatements()) await connection.run(sql);
    await fn(connection, rollups);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The rows of `sql`, as the client returns them. */
export async function rowsOf(connection: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRows();
}

/** Minute `m` after 2026-01-05 09:00 UTC, plus `s` seconds, in ns. */
export function at(m: number, s = 0): bigint {
  return 1_767_603_600_000_000_000n + BigInt(m * 60 + s) * 1_000_000_000n;
}
