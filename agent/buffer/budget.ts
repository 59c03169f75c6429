/**
 * The buffer's disk budget: how much the buffer may hold (`max_bytes`), how
 * old a row may get (`max_age_s`), which streams lose rows first (priority
 * classes) and what happens when it is full (`policy`).
 *
 * How bytes are measured: every row weighs its approximate raw size
 * ({@linkcode approxRowBytesSql}: 8 bytes per 64-bit value, 4 per 32-bit,
 * text length + 4, list length * 4 + 4): for rows being appended, summed
 * from the rows themselves (`approxRowsBytes`, the same formula); for rows
 * about to be deleted, computed by DuckDB inside the same transaction. The
 * buffer keeps the per-stream sums in memory (recomputed by one scan at
 * open), so checking the budget costs nothing per row. It measures the data,
 * not DuckDB's file: the file is larger (indexes, free blocks) and does not
 * shrink when rows are deleted; give the disk headroom of about 2x.
 *
 * Only rows not yet handed to the shipper can be dropped: rows inside a
 * pending batch (or read for one) are never deleted, so the shipper and the
 * hub always agree about what was sent. The budget can therefore be exceeded
 * by at most the shipper's in-flight window.
 *
 * @module
 */
import { BIGINT, type DuckDBConnection } from "@duckdb/node-api";
import { RetryableError } from "@tributary/shared/errors";
import { type Kind, KINDS } from "@tributary/shared/records";
import { ChunkShape } from "@tributary/shared/sql/chunks";
import { approxRowBytesSql, bufferTable, fixedRowBytes } from "./schema.ts";
import type { Segment, SegmentLayout } from "./segments.ts";

/** What the buffer does when a write does not fit in `max_bytes`. */
export const DROP_POLICIES = ["drop_oldest", "drop_newest", "block"] as const;

/**
 * - `drop_oldest`: the write is stored; the oldest unsent rows of the
 *   lowest-priority stream are deleted to make room (reason `budget_evicted`).
 * - `drop_newest`: newer rows make room by deleting the newest unsent rows of
 *   strictly lower classes (reason `budget_evicted`); when that is not enough
 *   the write itself is refused (reason `budget_full`) and resolves normally.
 * - `block`: the write waits for space (at most `blockTimeoutMs`, then
 *   `RetryableError` reason `budget_full`, and the input retries).
 */
export type DropPolicy = typeof DROP_POLICIES[number];

/** Reasons under which the buffer counts dropped rows. */
export const DROP_REASONS = {
  /** Older than `max_age_s`. */
  maxAge: "max_age",
  /** A write refused because the buffer is full (`drop_newest`). */
  budgetFull: "budget_full",
  /** Stored rows deleted to make room for others. */
  budgetEvicted: "budget_evicted",
} as const;

/** Priority class per stream: 0 is kept longest; the highest number loses rows first. */
export type Priorities = Record<Kind, number>;

/** Market data outlives sensor readings, which outlive logs. */
export const DEFAULT_PRIORITIES: Readonly<Priorities> = {
  trades: 0,
  quotes: 0,
  readings: 1,
  logs: 2,
};

/** The budget of one buffer. */
export interface BufferBudget {
  /** Most bytes of buffered rows (see the module doc for how they are measured). @default Infinity */
  maxBytes: number;
  /** Rows whose recv_ts is older than this many seconds are dropped; 0 keeps them forever. @default 0 */
  maxAgeS: number;
  /** @default "drop_oldest" */
  policy: DropPolicy;
  /** @default {@linkcode DEFAULT_PRIORITIES} */
  priorities: Priorities;
  /** Longest single wait of a write under `block`, in ms. @default 1000 */
  blockTimeoutMs: number;
  /** How often rows older than `maxAgeS` are looked for, in ms. @default 1000 */
  expireIntervalMs: number;
}

/** An unlimited budget: nothing is ever dropped. */
export const UNLIMITED_BUDGET: Readonly<BufferBudget> = {
  maxBytes: Infinity,
  maxAgeS: 0,
  policy: "drop_oldest",
  priorities: DEFAULT_PRIORITIES,
  blockTimeoutMs: 1000,
  expireIntervalMs: 1000,
};

/**
 * A write that does not fit under `block`: the caller waits for `bytes` of
 * space, and gives up (rethrowing this) after `blockTimeoutMs`.
 */
export class BudgetFullError extends RetryableError {
  /** Bytes the refused write needs. */
  readonly bytes: number;
  constructor(kind: Kind, bytes: number, maxBytes: number) {
    super(
      "budget_full",
      `buffer full: ${bytes} bytes of ${kind} do not fit in buffer.max_bytes = ${maxBytes}`,
    );
    this.bytes = bytes;
  }
}

/**
 * The streams grouped by priority class, lowest priority (highest class
 * number) first.
 *
 * @example
 * ```ts
 * evictionOrder(DEFAULT_PRIORITIES); // [["logs"], ["readings"], ["trades", "quotes"]]
 * ```
 */
export function evictionOrder(priorities: Priorities): Kind[][] {
  const classes = [...new Set(KINDS.map((k) => priorities[k]))].sort((a, b) => b - a);
  return classes.map((c) => KINDS.filter((k) => priorities[k] === c));
}

/** Rows and bytes that left (or entered) the buffer. */
export interface RowsBytes {
  rows: number;
  bytes: number;
}

/** Drops and byte changes of one transaction, applied to memory only after its COMMIT. */
export class DropTally {
  readonly drops = new Map<Kind, Map<string, number>>();
  readonly bytes = new Map<Kind, number>();
  readonly rows = new Map<Kind, number>();
  /** Row count changes per segment table (see segments.ts). */
  readonly segments = new Map<Segment, number>();

  /** Counts `rows` of `kind` dropped for `reason`. */
  drop(kind: Kind, reason: string, rows: number): void {
    if (rows <= 0) return;
    const byReason = this.drops.get(kind) ?? new Map<string, number>();
    byReason.set(reason, (byReason.get(reason) ?? 0) + rows);
    this.drops.set(kind, byReason);
  }

  /** Adds `delta` bytes (negative when rows leave) to `kind`. */
  addBytes(kind: Kind, delta: number): void {
    if (delta !== 0) this.bytes.set(kind, (this.bytes.get(kind) ?? 0) + delta);
  }

  /** Adds `delta` rows (negative when rows leave) to `kind`'s backlog count. */
  addRows(kind: Kind, delta: number): void {
    if (delta !== 0) this.rows.set(kind, (this.rows.get(kind) ?? 0) + delta);
  }

  /** Adds `delta` rows (negative when rows leave) to `segment`'s count. */
  addSegmentRows(segment: Segment, delta: number): void {
    if (delta !== 0) this.segments.set(segment, (this.segments.get(segment) ?? 0) + delta);
  }

  /**
   * The statements that write the drop counts into `stream_drops` and the
   * backlog row and byte changes into `streams`; run them inside the
   * caller's transaction, so the stored totals always match the rows.
   */
  statements(): string[] {
    const out: string[] = [];
    for (const kind of new Set([...this.rows.keys(), ...this.bytes.keys()])) {
      out.push(
        `UPDATE streams SET backlog_rows = backlog_rows + ${this.rows.get(kind) ?? 0}, ` +
          `backlog_bytes = backlog_bytes + ${this.bytes.get(kind) ?? 0} WHERE stream = '${kind}'`,
      );
    }
    for (const [kind, byReason] of this.drops) {
      for (const [reason, rows] of byReason) {
        out.push(
          `INSERT INTO stream_drops VALUES ('${kind}', '${
            reason.replaceAll("'", "''")
          }', ${rows}) ` +
            `ON CONFLICT (stream, reason) DO UPDATE SET rows = rows + excluded.rows`,
        );
      }
    }
    return out;
  }

  /** Runs {@linkcode DropTally.statements} as one call (see runStatements). */
  async save(conn: DuckDBConnection): Promise<void> {
    await runStatements(conn, this.statements());
  }
}

/**
 * Runs `statements` in order as ONE call to DuckDB, which stops at the first
 * that fails. One call instead of one per statement because every call
 * creates N-API externals that Deno never frees (see shared/sql/chunks.ts): the
 * drain retires a batch every few milliseconds.
 */
export async function runStatements(
  conn: DuckDBConnection,
  statements: readonly string[],
): Promise<void> {
  if (statements.length > 0) await conn.run(statements.join(";\n"));
}

/** Dropped rows per stream and reason, as stored. */
export async function readDrops(
  conn: DuckDBConnection,
): Promise<Record<Kind, Record<string, number>>> {
  const out = Object.fromEntries(KINDS.map((k) => [k, {}])) as Record<
    Kind,
    Record<string, number>
  >;
  const rows = (await conn.runAndReadAll("SELECT stream, reason, rows FROM stream_drops"))
    .getRows();
  for (const [stream, reason, n] of rows) {
    if (KINDS.includes(stream as Kind) && typeof reason === "string") {
      out[stream as Kind][reason] = Number(n);
    }
  }
  return out;
}

const MEASURE_SHAPE = new ChunkShape([BIGINT, BIGINT]);

/**
 * Count and approximate bytes of the rows of `kind` matching `where` (SQL),
 * in `table`: one segment, or by default the view over all of them.
 * Every retire runs it, so its two columns are read with their known types
 * (see shared/sql/chunks.ts) rather than through `getRows`.
 */
export async function measureRows(
  conn: DuckDBConnection,
  kind: Kind,
  where: string,
  table: string = bufferTable(kind),
): Promise<RowsBytes> {
  const result = await conn.run(
    `SELECT count(*)::BIGINT, coalesce(sum(${approxRowBytesSql(kind)}), 0)::BIGINT ` +
      `FROM ${table} WHERE ${where}`,
  );
  const chunk = await result.fetchChunk();
  if (chunk === null || chunk.rowCount === 0) return { rows: 0, bytes: 0 };
  return {
    rows: Number(MEASURE_SHAPE.vector(chunk, 0).getItem(0) ?? 0n),
    bytes: Number(MEASURE_SHAPE.vector(chunk, 1).getItem(0) ?? 0n),
  };
}

/** Rows about to leave, with the statements that delete them. */
export interface Deletion extends RowsBytes {
  /** `DELETE` statements, one per segment; run them in the same transaction. */
  statements: string[];
}

/**
 * Measures the rows of `kind` with seq in [`from`, `to`] (and matching
 * `where`, SQL, when given), segment by segment, inside the caller's
 * transaction, and records them in `tally` as leaving. Returns the totals and
 * the statements that delete them, for the caller to run in the same
 * transaction: the writer connection is the only one that changes rows, so
 * the rows measured are exactly the rows those statements delete.
 */
export async function planDeletion(
  conn: DuckDBConnection,
  layout: SegmentLayout,
  kind: Kind,
  range: { from: bigint; to: bigint; where?: string },
  tally: DropTally,
): Promise<Deletion> {
  const out: Deletion = { rows: 0, bytes: 0, statements: [] };
  for (const span of layout.spans(kind, range.from, range.to)) {
    const where = `seq BETWEEN ${span.from} AND ${span.to}` +
      (range.where === undefined ? "" : ` AND (${range.where})`);
    const gone = await measureRows(conn, kind, where, span.segment.table);
    if (gone.rows === 0) continue;
    out.statements.push(`DELETE FROM ${span.segment.table} WHERE ${where}`);
    tally.addRows(kind, -gone.rows);
    tally.addBytes(kind, -gone.bytes);
    tally.addSegmentRows(span.segment, -gone.rows);
    out.rows += gone.rows;
    out.bytes += gone.bytes;
  }
  return out;
}

/** {@linkcode planDeletion}, then runs its statements. */
export async function deleteRows(
  conn: DuckDBConnection,
  layout: SegmentLayout,
  kind: Kind,
  range: { from: bigint; to: bigint; where?: string },
  tally: DropTally,
): Promise<RowsBytes> {
  const { statements, ...gone } = await planDeletion(conn, layout, kind, range, tally);
  await runStatements(conn, statements);
  return gone;
}

/** Options of {@linkcode evictRows}. */
export interface EvictOptions {
  /** Rows with seq <= floor are in flight and never deleted. */
  floor: bigint;
  /** The highest seq assigned. */
  lastSeq: bigint;
  /** Bytes to free (the fewest whole rows that reach it). */
  bytes: number;
  /** Delete from the newest row down instead of from the oldest up. */
  newestFirst: boolean;
}

/**
 * Deletes the fewest unsent rows of `kind` (seq > floor), oldest or newest
 * first, whose bytes reach `options.bytes` (all of them if they do not).
 * Works in seq windows sized from the smallest possible row, so no query
 * reads much more than it deletes. Records what left in `tally`.
 */
export async function evictRows(
  conn: DuckDBConnection,
  layout: SegmentLayout,
  kind: Kind,
  options: EvictOptions,
  tally: DropTally,
): Promise<RowsBytes> {
  const table = bufferTable(kind);
  const approx = approxRowBytesSql(kind);
  const freed: RowsBytes = { rows: 0, bytes: 0 };
  let lo = options.floor;
  let hi = options.lastSeq;
  while (freed.bytes < options.bytes && lo < hi) {
    const need = options.bytes - freed.bytes;
    const span = BigInt(Math.max(256, Math.ceil(need / fixedRowBytes(kind)) + 1));
    const from = options.newestFirst ? (hi - span > lo ? hi - span : lo) : lo;
    const to = options.newestFirst ? hi : (lo + span < hi ? lo + span : hi);
    const order = options.newestFirst ? "DESC" : "ASC";
    const [row] = (await conn.runAndReadAll(
      `SELECT ${options.newestFirst ? "max" : "min"}(seq) FILTER (WHERE cum >= ${need}), ` +
        `${options.newestFirst ? "min" : "max"}(seq) FROM (` +
        `SELECT seq, sum(${approx}) OVER (ORDER BY seq ${order}) AS cum FROM ${table} ` +
        `WHERE seq > ${from} AND seq <= ${to})`,
    )).getRows();
    const cut = (row?.[0] ?? row?.[1]) as bigint | null | undefined;
    if (options.newestFirst) hi = from;
    else lo = to;
    if (cut === null || cut === undefined) continue; // an empty window (a gap)
    const range = options.newestFirst ? { from: cut, to } : { from: from + 1n, to: cut };
    const gone = await deleteRows(conn, layout, kind, range, tally);
    freed.rows += gone.rows;
    freed.bytes += gone.bytes;
  }
  return freed;
}

/**
 * Deletes the unsent rows of `kind` (seq > floor, up to `lastSeq`) whose
 * recv_ts is before `cutoffNs`. Records what left in `tally`.
 */
export function expireRows(
  conn: DuckDBConnection,
  layout: SegmentLayout,
  kind: Kind,
  range: { floor: bigint; lastSeq: bigint; cutoffNs: bigint },
  tally: DropTally,
): Promise<RowsBytes> {
  return deleteRows(
    conn,
    layout,
    kind,
    { from: range.floor + 1n, to: range.lastSeq, where: `recv_ts < ${range.cutoffNs}` },
    tally,
  );
}
