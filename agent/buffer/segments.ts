/**
 * The buffer's segment tables: each stream's rows live in a run of tables
 * `buffer_<kind>_<n>`, each holding a bounded span of seqs. Appends go to the
 * newest segment; a later one starts once the newest spans `segmentRows`
 * seqs; a segment whose rows are all gone (acknowledged, evicted or expired)
 * is dropped whole.
 *
 * Why: a DuckDB checkpoint writes every table that changed, and DuckDB 1.5
 * loads (and keeps) the column metadata of every row group of such a table to
 * do it. With one table per stream a drain deletes from each table, so its
 * first checkpoint loaded the metadata of the whole backlog: ~10 MiB of RSS
 * per GiB of backlog (bench/buffer_memory_probe.ts, docs/benchmarks.md). With
 * segments a drain changes only the oldest and the newest segment of a
 * stream, whatever the backlog.
 *
 * A segment covers the seqs from its `first_seq` up to the next segment's
 * (the newest: all above). The table `buffer_segments` lists them, and a view
 * `buffer_<kind>` unions them, so operators (`agent query`, `agent verify`)
 * see one table per stream as before. The buffer itself reads and deletes
 * segment by segment, each query on one table.
 *
 * A file from before segments (one table `buffer_<kind>`) is migrated at the
 * first writable open: that table becomes segment 1, in one transaction.
 *
 * @module
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { type Kind, KINDS } from "@tributary/shared/records";
import { bufferTable, createBufferTableSql } from "./schema.ts";
import { runStatements } from "./budget.ts";

/** Seqs per segment unless configured: 8 of DuckDB's 122,880-row row groups. */
export const DEFAULT_SEGMENT_ROWS = 983_040;

/** One segment table of a stream. */
export interface Segment {
  /** Its number, increasing with its seqs. */
  readonly id: number;
  /** The table holding its rows. */
  readonly table: string;
  /** The lowest seq it may hold; it holds every seq below the next segment's. */
  readonly firstSeq: bigint;
  /** Rows it holds now (counted at open, then kept in step after each COMMIT). */
  rows: number;
}

/** A seq range inside one segment. */
export interface SegmentSpan {
  segment: Segment;
  /** Lowest seq of the range in this segment. */
  from: bigint;
  /** Highest seq of the range in this segment. */
  to: bigint;
}

/** Name of segment `id` of `kind`, e.g. `buffer_logs_3`. */
export function segmentTable(kind: Kind, id: number): string {
  return `${bufferTable(kind)}_${id}`;
}

/** The view over `segments`, named as the stream's table was before segments. */
export function segmentViewSql(kind: Kind, segments: readonly Segment[]): string {
  return `CREATE OR REPLACE VIEW ${bufferTable(kind)} AS ` +
    segments.map((s) => `SELECT * FROM ${s.table}`).join(" UNION ALL ");
}

/** A segment as `buffer_segments` lists it. */
export type ListedSegment = Omit<Segment, "rows">;

/**
 * The segments `buffer_segments` lists per stream (streams with none are
 * absent), oldest first; `undefined` when the file has no such table (a file
 * from before segments).
 */
export async function listSegments(
  conn: DuckDBConnection,
): Promise<Map<Kind, ListedSegment[]> | undefined> {
  if (await tableType(conn, "buffer_segments") === undefined) return undefined;
  const out = new Map<Kind, ListedSegment[]>();
  const rows = (await conn.runAndReadAll(
    "SELECT stream, segment, first_seq FROM buffer_segments ORDER BY stream, first_seq",
  )).getRows();
  for (const [stream, id, firstSeq] of rows) {
    const kind = stream as Kind;
    if (!KINDS.includes(kind)) continue;
    const segments = out.get(kind) ?? [];
    segments.push({
      id: Number(id),
      table: segmentTable(kind, Number(id)),
      firstSeq: firstSeq as bigint,
    });
    out.set(kind, segments);
  }
  return out;
}

/** The segments of every stream of one buffer file. */
export class SegmentLayout {
  /** Per stream, oldest first; never empty. */
  readonly #byKind: Map<Kind, Segment[]>;

  private constructor(byKind: Map<Kind, Segment[]>) {
    this.#byKind = byKind;
  }

  /**
   * Reads the layout of an open buffer file and counts each segment's rows.
   * With `writer` it first creates segment 1 of a new stream, migrates a file
   * from before segments, and drops segments left empty (e.g. by a crash
   * between a retire and its drop). Without (a read-only open) a file from
   * before segments reads as one segment per stream: its old table.
   */
  static async load(
    reader: DuckDBConnection,
    writer: DuckDBConnection | undefined,
  ): Promise<SegmentLayout> {
    let listed = await listSegments(reader) ?? new Map<Kind, ListedSegment[]>();
    if (writer !== undefined) {
      const unlisted = KINDS.filter((kind) => !listed.has(kind));
      for (const kind of unlisted) await prepareStream(writer, kind);
      if (unlisted.length > 0) listed = await listSegments(reader) ?? listed;
    }
    const byKind = new Map<Kind, Segment[]>(
      KINDS.map((k) => [k, (listed.get(k) ?? []).map((s) => ({ ...s, rows: 0 }))]),
    );
    for (const [kind, segments] of byKind) {
      // A read-only file from before segments: its one table is the whole stream.
      if (segments.length === 0) {
        segments.push({ id: 0, table: bufferTable(kind), firstSeq: 1n, rows: 0 });
      }
      for (const s of segments) s.rows = await countRows(reader, s.table);
    }
    const layout = new SegmentLayout(byKind);
    if (writer !== undefined) await layout.dropEmpty(writer);
    return layout;
  }

  /** The segments of `kind`, oldest first. */
  of(kind: Kind): readonly Segment[] {
    return this.#byKind.get(kind)!;
  }

  /** The segment that takes `kind`'s appends. */
  newest(kind: Kind): Segment {
    const segments = this.of(kind);
    return segments[segments.length - 1]!;
  }

  /**
   * The parts of the seq range [`from`, `to`] of `kind`, one per segment that
   * covers some of it, oldest first.
   */
  spans(kind: Kind, from: bigint, to: bigint): SegmentSpan[] {
    const segments = this.of(kind);
    const out: SegmentSpan[] = [];
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const next = segments[i + 1]?.firstSeq;
      const lo = from > segment.firstSeq ? from : segment.firstSeq;
      const hi = next !== undefined && to >= next ? next - 1n : to;
      if (lo <= hi) out.push({ segment, from: lo, to: hi });
    }
    return out;
  }

  /**
   * The next window of at most `size` seqs of `kind` to read after `afterSeq`
   * and up to `limit`, cut at the end of its segment (each query reads one
   * table), or `undefined` when none is left. Seqs below the oldest segment
   * are skipped: their rows left with a dropped segment.
   */
  nextSpan(kind: Kind, afterSeq: bigint, size: bigint, limit: bigint): SegmentSpan | undefined {
    const below = this.of(kind)[0]!.firstSeq - 1n;
    const after = afterSeq > below ? afterSeq : below;
    if (after >= limit) return undefined;
    return this.spans(kind, after + 1n, after + size < limit ? after + size : limit)[0];
  }

  /**
   * Starts a new newest segment of `kind` at `nextSeq` when the newest spans
   * `segmentRows` seqs or more. One transaction; the layout changes only once
   * it commits. Rows above `nextSeq` do not exist yet, so no read is affected.
   * Resolves with whether it did (the old newest may be empty and droppable now).
   */
  async rollOver(
    conn: DuckDBConnection,
    kind: Kind,
    nextSeq: bigint,
    segmentRows: number,
  ): Promise<boolean> {
    const newest = this.newest(kind);
    if (nextSeq - newest.firstSeq < BigInt(segmentRows)) return false;
    const segment: Segment = {
      id: newest.id + 1,
      table: segmentTable(kind, newest.id + 1),
      firstSeq: nextSeq,
      rows: 0,
    };
    const segments = [...this.of(kind), segment];
    await inTransaction(conn, [
      createBufferTableSql(kind, segment.table),
      `INSERT INTO buffer_segments VALUES ('${kind}', ${segment.id}, ${segment.firstSeq})`,
      segmentViewSql(kind, segments),
    ]);
    this.#byKind.set(kind, segments);
    return true;
  }

  /** Segments that are neither the newest of their stream nor hold a row. */
  empty(): Segment[] {
    return [...this.#byKind.values()].flatMap((segments) =>
      segments.slice(0, -1).filter((s) => s.rows === 0)
    );
  }

  /**
   * Drops every segment {@linkcode SegmentLayout.empty} names, in one
   * transaction (tables, list entries and views). The caller keeps reads out
   * meanwhile: a read planned on a dropped table would fail.
   */
  async dropEmpty(conn: DuckDBConnection): Promise<number> {
    const gone = new Set(this.empty());
    if (gone.size === 0) return 0;
    const statements: string[] = [];
    const after = new Map<Kind, Segment[]>();
    for (const [kind, segments] of this.#byKind) {
      const kept = segments.filter((s) => !gone.has(s));
      if (kept.length === segments.length) continue;
      after.set(kind, kept);
      for (const s of segments.filter((s) => gone.has(s))) {
        statements.push(
          `DELETE FROM buffer_segments WHERE stream = '${kind}' AND segment = ${s.id}`,
        );
      }
      // The view first: DuckDB lets a table go from under a view, which then fails.
      statements.push(segmentViewSql(kind, kept));
      for (const s of segments.filter((s) => gone.has(s))) statements.push(`DROP TABLE ${s.table}`);
    }
    await inTransaction(conn, statements);
    for (const [kind, kept] of after) this.#byKind.set(kind, kept);
    return gone.size;
  }
}

/**
 * Gives a stream without segments its segment 1: a file's table from before
 * segments becomes it, or a new one is created; in one transaction.
 */
async function prepareStream(conn: DuckDBConnection, kind: Kind): Promise<void> {
  const first: Segment = { id: 1, table: segmentTable(kind, 1), firstSeq: 1n, rows: 0 };
  const old = await tableType(conn, bufferTable(kind));
  await inTransaction(conn, [
    old === "BASE TABLE"
      ? `ALTER TABLE ${bufferTable(kind)} RENAME TO ${first.table}`
      : createBufferTableSql(kind, first.table),
    `INSERT INTO buffer_segments VALUES ('${kind}', 1, 1)`,
    segmentViewSql(kind, [first]),
  ]);
}

/** Rows of `table`: a count reads no column, so opening a large backlog stays cheap. */
async function countRows(conn: DuckDBConnection, table: string): Promise<number> {
  const [row] = (await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows();
  return Number(row?.[0] ?? 0);
}

async function tableType(conn: DuckDBConnection, name: string): Promise<string | undefined> {
  const [row] = (await conn.runAndReadAll(
    `SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' AND table_name = '${name}'`,
  )).getRows();
  return row === undefined ? undefined : String(row[0]);
}

async function inTransaction(conn: DuckDBConnection, statements: string[]): Promise<void> {
  await conn.run("BEGIN TRANSACTION");
  try {
    await runStatements(conn, [...statements, "COMMIT"]);
  } catch (error) {
    try {
      await conn.run("ROLLBACK");
    } catch {
      // DuckDB may already have aborted the transaction.
    }
    throw error;
  }
}
