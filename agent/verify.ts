/**
 * `agent verify`: checks the buffer file without changing it. The file is
 * opened read-only, and only while no agent runs: a running agent holds
 * DuckDB's lock and changes the file under any check, so verify refuses when
 * an agent answers at `[http] listen` (stop it first).
 *
 * Checks, each reported with a count:
 * - schema: every table and column that the agent's schema statements create
 *   (compared with an in-memory database built from the same statements),
 *   with the same type and NOT NULL; each segment table listed in
 *   `buffer_segments` like a stream's first, and the view over them (a file
 *   from before segments has one table per stream instead, which is fine);
 * - segments: each segment's rows inside its seq range (the buffer reads a
 *   seq range from the segment that covers it), and each stream's view
 *   showing every segment's rows;
 * - `streams`: one row per stream, `next_seq` ≥ 1, `acked_rows` ≥ 0, and the
 *   stored backlog totals (`backlog_rows`, `backlog_bytes`) equal to a count
 *   of the buffered rows;
 * - buffered rows: seqs unique per stream, between 1 and `next_seq - 1`; no
 *   NULL in a NOT NULL column; JSON columns hold JSON objects;
 * - `pending_batches`: known stream, `first_seq ≤ last_seq < next_seq`, no
 *   overlap with another pending range, at least one buffered row inside;
 * - storage: DuckDB 1.5 has no `PRAGMA integrity_check`, but every block
 *   carries a checksum verified when read, so every column of every table is
 *   read in full (a hash over each row); a read error is a problem.
 *
 * @module
 */
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { bodyColumns, type Kind, KINDS } from "@tributary/shared/records";
import { bufferPath } from "./agent.ts";
import { approxRowBytesSql, bufferTable, quoteIdent, schemaStatements } from "./buffer/schema.ts";
import {
  type ListedSegment,
  listSegments,
  SegmentLayout,
  segmentTable,
} from "./buffer/segments.ts";
import type { AgentConfig } from "./config.ts";
import { liveBaseUrl } from "./status.ts";

/** One kind of problem found, with how many times. */
export interface VerifyProblem {
  /** e.g. `missing_table`, `duplicate_seq`, `invalid_json`. */
  check: string;
  /** The table (and column) concerned. */
  where: string;
  /** How many rows (or items) have the problem. */
  count: number;
  detail: string;
}

/** What {@linkcode verifyBufferFile} found. */
export interface VerifyReport {
  path: string;
  /** Rows read per table. */
  tables: Record<string, number>;
  problems: VerifyProblem[];
}

interface ColumnInfo {
  type: string;
  nullable: boolean;
}

/**
 * Refuses when an agent of `config` answers over HTTP, then verifies its buffer file.
 *
 * @throws {Error} when the agent runs or the file cannot be opened read-only.
 */
export async function verifyAgentBuffer(
  config: AgentConfig,
  options: { timeoutMs?: number } = {},
): Promise<VerifyReport> {
  const base = liveBaseUrl(config);
  if (base !== undefined && await answers(`${base}/healthz`, options.timeoutMs ?? 2000)) {
    throw new Error(
      `the agent is running (it answers at ${base}); stop it first: verify reads the buffer file only while no agent changes it`,
    );
  }
  return await verifyBufferFile(bufferPath(config));
}

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Verifies the buffer file at `path`, opened read-only (nothing is written).
 *
 * @throws {Error} when the file cannot be opened (missing, locked, not DuckDB).
 */
export async function verifyBufferFile(path: string): Promise<VerifyReport> {
  try {
    await Deno.stat(path);
  } catch (error) {
    throw new Error(`cannot open buffer ${path}: ${(error as Error).message}`, { cause: error });
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, {
      access_mode: "READ_ONLY",
      enable_external_access: "false",
    });
  } catch (error) {
    throw new Error(`cannot open buffer ${path} read-only: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const conn = await instance.connect();
  try {
    return { path, ...await verifyConnection(conn) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Runs every check on an open buffer database. */
export async function verifyConnection(
  conn: DuckDBConnection,
): Promise<Omit<VerifyReport, "path">> {
  const problems: VerifyProblem[] = [];
  const tables: Record<string, number> = {};
  const add = (check: string, where: string, count: number, detail: string) => {
    if (count > 0) problems.push({ check, where, count, detail });
  };
  const scalar = async (sql: string): Promise<number> => {
    const value = (await conn.runAndReadAll(sql)).getRows()[0]?.[0];
    return Number(value ?? 0);
  };

  try {
    // Schema: compare with the schema the agent itself would create.
    const expected = await expectedSchema();
    const actual = await schemaOf(conn);
    const segments = await listedSegments(conn, actual);
    for (const kind of KINDS) {
      const template = expected.get(segmentTable(kind, 1))!;
      expected.delete(segmentTable(kind, 1));
      if (segments === undefined) {
        expected.set(bufferTable(kind), template); // a file from before segments
        continue;
      }
      const listed = segments.get(kind) ?? [];
      add(
        "missing_segments",
        `buffer_segments.${kind}`,
        listed.length === 0 ? 1 : 0,
        "no segment table listed for this stream",
      );
      for (const segment of listed) expected.set(segment.table, template);
    }
    if (segments === undefined) expected.delete("buffer_segments");
    const views = new Set(segments === undefined ? [] : KINDS.map(bufferTable));
    const present = new Set<string>();
    for (const [table, columns] of expected) {
      const found = actual.get(table);
      if (found === undefined) {
        add("missing_table", table, 1, `table ${table} does not exist`);
        continue;
      }
      let sound = true;
      for (const [name, want] of columns) {
        const got = found.get(name);
        const where = `${table}.${name}`;
        if (got === undefined) {
          add("missing_column", where, 1, `expected ${want.type}`);
          sound = false;
        } else if (got.type !== want.type) {
          add("wrong_type", where, 1, `is ${got.type}, expected ${want.type}`);
          sound = false;
        } else if (got.nullable && !want.nullable) {
          add("nullable_column", where, 1, "lost its NOT NULL constraint");
        }
      }
      for (const name of found.keys()) {
        if (!columns.has(name)) {
          add("unexpected_column", `${table}.${name}`, 1, "not in the schema");
        }
      }
      if (sound) present.add(table);
    }
    // A view over a missing segment table cannot be read; that table is reported above.
    for (const [kind, listed] of segments ?? []) {
      if (!listed.every((s) => present.has(s.table))) present.delete(bufferTable(kind));
    }

    // Storage: read every column of every table in full (a view only repeats its tables).
    for (const table of expected.keys()) {
      if (!actual.has(table) || views.has(table)) continue;
      try {
        tables[table] = await scalar(
          `SELECT count(*), bit_xor(hash(t)) FROM ${quoteIdent(table)} AS t`,
        );
      } catch (error) {
        add("unreadable_table", table, 1, errorLine(error));
        present.delete(table);
      }
    }

    // NULLs in NOT NULL columns (possible only when the constraint is gone).
    for (const [table, columns] of expected) {
      if (!present.has(table) || views.has(table)) continue;
      for (const [name, want] of columns) {
        if (want.nullable) continue;
        add(
          "null_value",
          `${table}.${name}`,
          await scalar(
            `SELECT count(*) FROM ${quoteIdent(table)} WHERE ${quoteIdent(name)} IS NULL`,
          ),
          "NULL in a NOT NULL column",
        );
      }
    }

    const streamsOk = present.has("streams");
    if (streamsOk) {
      for (const kind of KINDS) {
        add(
          "missing_stream_row",
          `streams.${kind}`,
          (await scalar(`SELECT count(*) FROM streams WHERE stream = '${kind}'`)) === 0 ? 1 : 0,
          "no next_seq for this stream",
        );
      }
      add(
        "bad_stream_row",
        "streams",
        await scalar(
          `SELECT count(*) FROM streams WHERE next_seq < 1 OR acked_rows < 0 OR stream NOT IN (${
            KINDS.map((k) => `'${k}'`).join(", ")
          })`,
        ),
        "next_seq < 1, acked_rows < 0 or an unknown stream",
      );
    }
    const nextSeq = (kind: string) =>
      `coalesce((SELECT next_seq FROM streams WHERE stream = '${kind}'), 1)`;

    for (const [kind, listed] of segments ?? []) {
      for (const [i, segment] of listed.entries()) {
        if (!present.has(segment.table)) continue;
        const next = listed[i + 1]?.firstSeq;
        add(
          "segment_seq_out_of_range",
          segment.table,
          await scalar(
            `SELECT count(*) FROM ${segment.table} WHERE seq < ${segment.firstSeq}` +
              (next === undefined ? "" : ` OR seq >= ${next}`),
          ),
          `rows outside the segment's seqs (from ${segment.firstSeq}` +
            `${next === undefined ? "" : ` to below ${next}`}, as buffer_segments lists them)`,
        );
      }
      const view = bufferTable(kind);
      if (!present.has(view) || !listed.every((s) => present.has(s.table))) continue;
      const inSegments = listed.map((s) => `(SELECT count(*) FROM ${s.table})`).join(" + ");
      add(
        "view_mismatch",
        view,
        await scalar(`SELECT abs((SELECT count(*) FROM ${view}) - (${inSegments}))`),
        "rows of the segment tables that the stream's view does not show",
      );
    }

    for (const kind of KINDS) {
      const table = bufferTable(kind);
      if (!present.has(table)) continue;
      add(
        "duplicate_seq",
        table,
        await scalar(`SELECT count(*) - count(DISTINCT seq) FROM ${table}`),
        "rows sharing a seq with another row",
      );
      if (streamsOk) {
        add(
          "seq_out_of_range",
          table,
          await scalar(`SELECT count(*) FROM ${table} WHERE seq < 1 OR seq >= ${nextSeq(kind)}`),
          "seq below 1 or not below streams.next_seq",
        );
        // NULL totals (a file from before they were stored) are measured at the next open.
        add(
          "backlog_totals_mismatch",
          `streams.${kind}`,
          await scalar(
            `SELECT count(*) FROM streams, (SELECT count(*) AS n, ` +
              `coalesce(sum(${approxRowBytesSql(kind)}), 0) AS b FROM ${table}) AS scan ` +
              `WHERE stream = '${kind}' AND backlog_rows IS NOT NULL ` +
              `AND (backlog_rows <> scan.n OR backlog_bytes <> scan.b)`,
          ),
          "streams.backlog_rows/backlog_bytes differ from the buffered rows",
        );
      }
      for (const column of bodyColumns(kind)) {
        if (column.type !== "json") continue;
        const c = quoteIdent(column.name);
        add(
          "invalid_json",
          `${table}.${column.name}`,
          await scalar(
            `SELECT count(*) FROM ${table} WHERE ${c} IS NOT NULL AND ` +
              `(NOT coalesce(json_valid(${c}), false) OR json_type(${c}::JSON) <> 'OBJECT')`,
          ),
          "not a JSON object",
        );
      }
    }

    if (present.has("pending_batches")) {
      const known = KINDS.map((k) => `'${k}'`).join(", ");
      add(
        "pending_unknown_stream",
        "pending_batches",
        await scalar(`SELECT count(*) FROM pending_batches WHERE stream NOT IN (${known})`),
        "a pending batch of no known stream",
      );
      add(
        "pending_inverted",
        "pending_batches",
        await scalar(`SELECT count(*) FROM pending_batches WHERE first_seq > last_seq`),
        "first_seq > last_seq",
      );
      if (streamsOk) {
        add(
          "pending_beyond_next_seq",
          "pending_batches",
          await scalar(
            `SELECT count(*) FROM pending_batches p WHERE p.stream IN (${known}) AND ` +
              `(p.first_seq < 1 OR p.last_seq >= ` +
              `coalesce((SELECT next_seq FROM streams s WHERE s.stream = p.stream), 1))`,
          ),
          "a range below 1 or not below streams.next_seq",
        );
      }
      add(
        "pending_overlap",
        "pending_batches",
        await scalar(
          `SELECT count(*) FROM pending_batches a JOIN pending_batches b
             ON a.stream = b.stream AND a.rowid < b.rowid
            AND a.first_seq <= b.last_seq AND b.first_seq <= a.last_seq`,
        ),
        "pairs of pending ranges of one stream that overlap",
      );
      let empty = 0;
      for (const kind of KINDS) {
        const table = bufferTable(kind);
        if (!present.has(table)) continue;
        empty += await scalar(
          `SELECT count(*) FROM pending_batches p WHERE p.stream = '${kind}' AND NOT EXISTS ` +
            `(SELECT 1 FROM ${table} b WHERE b.seq BETWEEN p.first_seq AND p.last_seq)`,
        );
      }
      add(
        "pending_without_rows",
        "pending_batches",
        empty,
        "a pending range with no buffered row inside (its rows are gone)",
      );
    }
  } catch (error) {
    // A damaged block can fail any read, and DuckDB may then refuse every
    // further query on this instance: report it with what was found so far.
    add("unreadable", "database", 1, errorLine(error));
  }
  return { tables, problems };
}

function errorLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

/**
 * The segments `buffer_segments` lists per stream, or `undefined` for a file
 * from before segments (no such table, a table per stream instead).
 */
async function listedSegments(
  conn: DuckDBConnection,
  actual: Map<string, Map<string, ColumnInfo>>,
): Promise<Map<Kind, ListedSegment[]> | undefined> {
  if (!actual.has("buffer_segments") && KINDS.some((k) => actual.has(bufferTable(k)))) {
    return undefined;
  }
  return await listSegments(conn) ?? new Map();
}

/**
 * The tables and columns a new buffer file has ({@linkcode schemaStatements},
 * then segment 1 and the view of each stream), from an in-memory database.
 */
async function expectedSchema(): Promise<Map<string, Map<string, ColumnInfo>>> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    for (const sql of schemaStatements()) await conn.run(sql);
    await SegmentLayout.load(conn, conn);
    return await schemaOf(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function schemaOf(conn: DuckDBConnection): Promise<Map<string, Map<string, ColumnInfo>>> {
  const rows = (await conn.runAndReadAll(
    `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
     WHERE table_schema = 'main' ORDER BY table_name, ordinal_position`,
  )).getRows();
  const out = new Map<string, Map<string, ColumnInfo>>();
  for (const [table, column, type, nullable] of rows) {
    const t = String(table);
    let columns = out.get(t);
    if (!columns) out.set(t, columns = new Map());
    columns.set(String(column), { type: String(type), nullable: nullable === "YES" });
  }
  return out;
}

/** Renders a report as text: one line per problem, then a summary line. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines = [`buffer ${report.path}`];
  const rowCount = Object.values(report.tables).reduce((a, b) => a + b, 0);
  for (const p of report.problems) {
    lines.push(`PROBLEM ${p.check} ${p.where}: ${p.count} (${p.detail})`);
  }
  lines.push(
    report.problems.length === 0
      ? `ok: ${Object.keys(report.tables).length} tables, ${rowCount} rows read, no problems`
      : `${report.problems.length} problem(s) found in ${
        Object.keys(report.tables).length
      } tables, ${rowCount} rows read`,
  );
  return lines.join("\n");
}
