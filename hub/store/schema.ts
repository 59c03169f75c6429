/**
 * The hub's DuckDB schema, derived from the column lists in
 * `shared/records.ts` so that a column added there reaches the hub tables
 * without a hand-copied list here.
 *
 * @module
 */
import { type ColumnType, type Kind, kindColumns, KINDS } from "@tributary/shared/records";

/** The DuckDB type of each logical column type (see the table in records.ts). */
export const DUCKDB_TYPES: Readonly<Record<ColumnType, string>> = {
  ts_ns: "TIMESTAMP_NS",
  i64: "BIGINT",
  i32: "INTEGER",
  f64: "DOUBLE",
  utf8: "VARCHAR",
  json: "JSON",
  i32_list: "INTEGER[]",
};

/** One column of a hub table and where its values come from. */
export interface HubColumn {
  readonly name: string;
  readonly sqlType: string;
  /**
   * `body`: the batch column of the same name; `agent`: the batch's agent id;
   * `ingested_at`: the hub's commit time.
   */
  readonly source: "body" | "agent" | "ingested_at";
  /** The logical type, for `body` columns. */
  readonly type?: ColumnType;
}

/**
 * The columns of the hub table of `kind`, in table order:
 * `ts, recv_ts, agent`, the kind's columns, then `ingested_at`.
 * The batch's `seq` is not stored: dedup works on ranges in `ingested_batches`.
 */
export function hubColumns(kind: Kind): readonly HubColumn[] {
  return [
    { name: "ts", sqlType: DUCKDB_TYPES.ts_ns, source: "body", type: "ts_ns" },
    { name: "recv_ts", sqlType: DUCKDB_TYPES.ts_ns, source: "body", type: "ts_ns" },
    { name: "agent", sqlType: "VARCHAR", source: "agent" },
    ...kindColumns(kind).map((c): HubColumn => ({
      name: c.name,
      sqlType: DUCKDB_TYPES[c.type],
      source: "body",
      type: c.type,
    })),
    { name: "ingested_at", sqlType: DUCKDB_TYPES.ts_ns, source: "ingested_at" },
  ];
}

/** Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `CREATE TABLE IF NOT EXISTS` for the hub table of `kind` (named like the kind). */
export function createKindTableSql(kind: Kind): string {
  const columns = hubColumns(kind).map((c) => `${quoteIdent(c.name)} ${c.sqlType} NOT NULL`);
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(kind)} (${columns.join(", ")})`;
}

/**
 * Every statement that creates the hub schema, idempotent:
 * - one table per kind;
 * - `ingested_batches`: each committed batch range, the dedup key;
 * - `agent_streams`: per (agent, stream) totals for `/api/v1/agents`, updated in the
 *   ingest transaction (a small table, so the API need not scan every batch);
 * - `agent_heartbeats`: each agent's latest heartbeat (replaced on receipt), for
 *   `/api/v1/agents`: version, uptime and per-stream backlog and drops as JSON;
 * - `quarantine`: messages that could not be ingested, with the reason and the raw bytes.
 */
export function schemaStatements(): string[] {
  return [
    ...KINDS.map(createKindTableSql),
    `CREATE TABLE IF NOT EXISTS ingested_batches (
      agent VARCHAR NOT NULL, stream VARCHAR NOT NULL,
      first_seq BIGINT NOT NULL, last_seq BIGINT NOT NULL,
      row_count BIGINT NOT NULL, bytes BIGINT NOT NULL,
      committed_at TIMESTAMP_NS NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS agent_streams (
      agent VARCHAR NOT NULL, stream VARCHAR NOT NULL,
      last_seen TIMESTAMP_NS NOT NULL, "rows" BIGINT NOT NULL,
      batches BIGINT NOT NULL, last_seq BIGINT NOT NULL,
      PRIMARY KEY (agent, stream))`,
    `CREATE TABLE IF NOT EXISTS agent_heartbeats (
      agent VARCHAR PRIMARY KEY, received_at TIMESTAMP_NS NOT NULL,
      sent_at TIMESTAMP_NS NOT NULL, version VARCHAR NOT NULL,
      uptime_s DOUBLE NOT NULL, streams JSON NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS quarantine (
      received_at TIMESTAMP_NS NOT NULL, source VARCHAR NOT NULL, topic VARCHAR NOT NULL,
      reason VARCHAR NOT NULL, detail VARCHAR NOT NULL, size BIGINT NOT NULL, raw BLOB NOT NULL)`,
  ];
}
