/**
 * Deterministic synthetic rows inserted straight into the hub tables with one
 * SQL statement, for the tier's tests and benchmark (millions of rows in
 * seconds, without going through agents and the wire).
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Kind } from "@tributary/shared/records";
import { quoteIdent } from "../store/schema.ts";

/** Options of {@linkcode insertSyntheticRows}. */
export interface SyntheticRowsOptions {
  /** `ts` of the first row, ns. */
  fromNs: bigint;
  rows: number;
  /** Nanoseconds between consecutive rows. */
  stepNs: bigint;
  /** Distinct series (sensors, log sources or symbols), round-robin. @default 10 */
  series?: number;
  /** @default "agent-1" */
  agent?: string;
}

/**
 * Inserts `rows` rows of `kind` with `ts = fromNs + i * stepNs`; series `i % series`.
 * Values are smooth functions of `i` so that Parquet compresses them as it would real data.
 *
 * @returns the number of rows inserted.
 */
export async function insertSyntheticRows(
  connection: DuckDBConnection,
  kind: Kind,
  options: SyntheticRowsOptions,
): Promise<number> {
  const series = Math.max(1, Math.trunc(options.series ?? 10));
  const agent = (options.agent ?? "agent-1").replaceAll("'", "''");
  const ts = `make_timestamp_ns(${options.fromNs}::BIGINT + i * ${options.stepNs}::BIGINT)`;
  const s = `(i % ${series})`;
  const selects: Record<Kind, string> = {
    readings: `${ts}, ${ts} + INTERVAL 2 MILLISECOND, '${agent}', 'sensor-' || ${s}, 'temperature',
      round(20 + 5 * sin(i / 5000.0) + ${s}, 2), 'degC', '{"site":"s' || (${s} % 3) || '"}'`,
    logs: `${ts}, ${ts}, '${agent}', 'app-' || ${s},
      CASE WHEN i % 97 = 0 THEN 'error' WHEN i % 13 = 0 THEN 'warn' ELSE 'info' END,
      'request ' || (i % 1000) || ' served in ' || (i % 250) || ' ms', '{"status":200}'`,
    trades: `${ts}, ${ts}, '${agent}', 'SYM' || ${s}, round(100 + ${s} + 2 * sin(i / 3000.0), 2),
      1 + (i % 50), 1 + (i % 12), [12, 37], 't' || i`,
    quotes: `${ts}, ${ts}, '${agent}', 'SYM' || ${s}, round(100 + ${s} + 2 * sin(i / 3000.0), 2),
      100 * (1 + i % 7), round(100.01 + ${s} + 2 * sin(i / 3000.0), 2), 100 * (1 + i % 5),
      1 + (i % 12), 1 + ((i + 3) % 12)`,
  };
  const result = await connection.run(
    `INSERT INTO ${quoteIdent(kind)} SELECT ${selects[kind]}, ${ts} + INTERVAL 1 SECOND
     FROM range(${Math.trunc(options.rows)}) t(i)`,
  );
  return result.rowsChanged;
}
