/**
 * The replay loop of the `polygon` input: lists the files, streams each one
 * line by line (gunzipped on the fly, never whole in memory), parses and
 * checks each row, and commits rows in batches together with the checkpoint
 * `{file, line}` — the key of the file and the number of its lines consumed
 * (header, kept and rejected lines alike). After a crash the replay re-reads
 * the checkpointed file from its start (gzip cannot seek), skips the lines
 * already consumed without parsing them, and goes on: every row is written
 * exactly once. A finished file is checkpointed `done`; files that sort before
 * the checkpointed one are not read again.
 *
 * @module
 */
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { type Kind, nowNs, type Quote, type Reading, type Trade } from "@tributary/shared/records";
import type { InputContext } from "../input.ts";
import { backoffDelay } from "../../backoff.ts";
import { EARLIEST_TS_NS, skewCheck } from "../processors/skew.ts";
import { RowChecks } from "./checks.ts";
import type { PolygonConfig } from "./config.ts";
import { splitCsvLine } from "./csv.ts";
import { barReadings, type Dataset, type FileLayout, layoutFromHeader } from "./layouts.ts";
import { readLines } from "./lines.ts";
import type { Progress } from "./progress.ts";
import {
  compareKeys,
  type FileSource,
  type FlatFile,
  meterStream,
  SourceReadError,
} from "./source.ts";

/** The name of the replay's checkpoint. */
export const CHECKPOINT_NAME = "files";

/** Where the replay stands: the file and how many of its lines were consumed. */
export interface ReplayPosition {
  file: string;
  line: number;
  /** True once every line of `file` was consumed. */
  done: boolean;
}

/** Figures of one replay (this process only). */
export interface ReplayStats {
  files: number;
  /** Reads of the source that failed and were retried from the last commit. */
  source_retries: number;
  rows: Record<Kind, number>;
  rejected: Record<string, number>;
  flagged: RowChecks["flags"];
}

/** Parses a checkpoint position; `undefined` for a missing or unreadable one. */
export function parsePosition(text: string | undefined): ReplayPosition | undefined {
  if (text === undefined) return undefined;
  try {
    const p = JSON.parse(text);
    if (
      typeof p?.file === "string" && Number.isSafeInteger(p.line) && p.line >= 0 &&
      typeof p.done === "boolean"
    ) return { file: p.file, line: p.line, done: p.done };
  } catch {
    // fall through
  }
  return undefined;
}

const KIND_OF: Readonly<Record<Dataset, Kind>> = {
  trades: "trades",
  quotes: "quotes",
  minute_aggs: "readings",
  day_aggs: "readings",
};

type AnyRow = Trade | Quote | Reading;

/** True when `key` still has lines to replay after `position`. */
function isAfter(key: string, position: ReplayPosition | undefined): boolean {
  if (position === undefined) return true;
  const order = compareKeys(key, position.file);
  return order > 0 || (order === 0 && !position.done);
}

/** Thrown inside the loop when stop() was called; never escapes {@linkcode Replay.run}. */
class Stopped extends Error {}

/** One replay over a source. */
export class Replay {
  readonly stats: ReplayStats = {
    files: 0,
    source_retries: 0,
    rows: { readings: 0, logs: 0, trades: 0, quotes: 0 },
    rejected: {},
    flagged: { sequence_gap: 0, outlier: 0, crossed: 0 },
  };
  readonly #config: PolygonConfig;
  readonly #ctx: InputContext;
  readonly #source: FileSource;
  readonly #progress: Progress;
  readonly #checks: RowChecks;
  #stopped = false;
  #wake: (() => void) | undefined;
  #written = 0;
  #reportedFlags: RowChecks["flags"] = { sequence_gap: 0, outlier: 0, crossed: 0 };
  #startedAt = 0;

  constructor(config: PolygonConfig, ctx: InputContext, source: FileSource, progress: Progress) {
    this.#config = config;
    this.#ctx = ctx;
    this.#source = source;
    this.#progress = progress;
    this.#checks = new RowChecks({
      exchanges: new Set(config.exchanges),
      outlierPct: config.outlier_pct,
      skew: skewCheck(config, { earliestNs: EARLIEST_TS_NS }),
    });
    this.stats.flagged = this.#checks.flags;
  }

  /** Makes {@linkcode run} return soon; an uncommitted batch is dropped (it is re-read next time). */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  /** Replays every file after the checkpoint; resolves when done or stopped. Never rejects. */
  async run(): Promise<void> {
    this.#startedAt = performance.now();
    try {
      const position = parsePosition(
        await this.#retrying("read checkpoint", async () => {
          const text = await this.#ctx.readCheckpoint(CHECKPOINT_NAME);
          if (text !== undefined && parsePosition(text) === undefined) {
            this.#ctx.log.error("ignoring an unreadable checkpoint; replaying from the start", {
              position: text,
            });
          }
          return text;
        }),
      );
      if (position !== undefined) {
        this.#ctx.log.info("replay resumes from its checkpoint", { ...position });
      }
      let resume = position;
      for (let pass = 0;; pass++) {
        const files = await this.#retrying("list files", () => this.#source.list());
        const todo = files.filter((f) => isAfter(f.key, resume));
        if (pass === 0 || todo.length > 0) {
          this.#ctx.log.info("replay starts", {
            source: this.#source.describe,
            files: files.length,
            to_replay: todo.length,
          });
        }
        for (const [i, file] of todo.entries()) {
          const from = resume !== undefined && file.key === resume.file ? resume.line : 0;
          this.#progress.file(i + 1, todo.length, file.key, file.size);
          await this.#replayFile(file, from);
          resume = { file: file.key, line: 0, done: true };
          this.stats.files++;
        }
        if (pass === 0 || todo.length > 0) {
          this.#ctx.log.info("replay caught up", {
            files: this.stats.files,
            rows: this.stats.rows,
            rejected: this.stats.rejected,
            flagged: this.stats.flagged,
          });
        }
        if (this.#config.poll_s <= 0) break;
        await this.#sleep(this.#config.poll_s * 1000);
      }
    } catch (error) {
      if (!(error instanceof Stopped)) {
        this.#ctx.log.error("replay failed", { error: String(error) });
      }
    } finally {
      this.#progress.finish();
    }
  }

  /** Replays one file from line `from`, retrying reads of the source from the last commit. */
  async #replayFile(file: FlatFile, from: number): Promise<void> {
    let committed = from;
    for (let attempt = 0;; attempt++) {
      try {
        await this.#replayFileOnce(file, committed, (line) => committed = line);
        return;
      } catch (error) {
        if (error instanceof Stopped || !(error instanceof SourceReadError)) throw error;
        // Rows checked after the last commit will be read (and checked) again.
        this.#checks.rollback();
        this.stats.source_retries++;
        const wait = backoffDelay(attempt, { initialMs: 500, maxMs: 30_000 });
        this.#ctx.log.warn("reading a file failed; retrying from the last commit", {
          file: file.key,
          line: committed,
          error: error.message,
          retry_in_ms: wait,
        });
        await this.#sleep(wait);
      }
    }
  }

  async #replayFileOnce(
    file: FlatFile,
    from: number,
    onCommit: (line: number) => void,
  ): Promise<void> {
    let bytes = 0;
    const raw = meterStream(
      await this.#source.open(file.key),
      (n) => bytes += n,
      this.#config.read_timeout_s * 1000,
    );
    const text = file.key.endsWith(".gz") ? raw.pipeThrough(new DecompressionStream("gzip")) : raw;
    const cfg = this.#config;
    let layout: FileLayout | undefined;
    let kind: Kind = "trades";
    let line = 0;
    let rows: AnyRow[] = [];
    let consumed = 0;
    let rejected = new Map<string, number>();
    const reject = (reason: string) => rejected.set(reason, (rejected.get(reason) ?? 0) + 1);

    const flush = async (done: boolean) => {
      const written = await this.#write(kind, rows, { file: file.key, line, done });
      this.#checks.commit();
      this.#reportFlags();
      onCommit(line);
      this.stats.rows[kind] += written;
      for (const [reason, n] of rejected) {
        this.#ctx.rejected(reason, n);
        this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + n;
      }
      this.#written += written;
      rows = [];
      consumed = 0;
      rejected = new Map();
      this.#progress.update(bytes, this.#totalRows());
      await this.#pace();
    };
    const skipFile = async (reason: string | undefined, message: string) => {
      if (reason !== undefined) reject(reason);
      this.#ctx.log.warn(message, { file: file.key });
      await flush(true);
    };

    try {
      for await (const items of readLines(text, { maxLineBytes: cfg.max_line_bytes })) {
        if (this.#stopped) throw new Stopped();
        const recvTs = nowNs();
        for (const item of items) {
          line++;
          if (line === 1) {
            const header = typeof item === "string" ? splitCsvLine(item) : undefined;
            layout = header && layoutFromHeader(header, file.key);
            if (layout === undefined) {
              return await skipFile("unknown_layout", "not a Polygon flat file (header); skipped");
            }
            if (!cfg.datasets.includes(layout.dataset)) {
              return await skipFile(undefined, `dataset ${layout.dataset} not configured; skipped`);
            }
            kind = KIND_OF[layout.dataset];
            // Only when the file is read from its start: a retry or a resume
            // mid-file continues the numbering of the rows before it.
            if (from === 0) this.#checks.startFile();
            continue;
          }
          if (line <= from) continue;
          consumed++;
          if (typeof item !== "string") {
            reject(item.fault);
          } else if (item !== "") {
            const fields = splitCsvLine(item);
            const parsed = fields && fields.length === layout!.columns
              ? layout!.parse(fields, recvTs)
              : undefined;
            if (parsed === undefined) {
              reject("bad_line");
            } else {
              const reason = this.#checks.check(parsed, recvTs);
              if (reason !== undefined) reject(reason);
              else if (parsed.dataset === "trades" || parsed.dataset === "quotes") {
                rows.push(parsed.row);
              } else rows.push(...barReadings(parsed, recvTs));
            }
          }
          if (rows.length >= cfg.batch_rows || consumed >= cfg.batch_rows) await flush(false);
        }
        this.#progress.update(bytes, this.#totalRows() + rows.length);
      }
    } catch (error) {
      if (error instanceof Stopped || error instanceof SourceReadError) throw error;
      if (error instanceof RetryableError || error instanceof PermanentError) throw error;
      // The decompressor refused the bytes: a corrupt or truncated file. What was read is kept.
      reject("bad_file");
      this.#ctx.log.error("file is corrupt or truncated; the rest of it is skipped", {
        file: file.key,
        line,
        error: String(error),
      });
    }
    if (line === 0 && !rejected.has("bad_file")) {
      return await skipFile("unknown_layout", "empty file; skipped");
    }
    await flush(true);
    this.#ctx.log.info("file replayed", { file: file.key, lines: line });
  }

  /**
   * Commits rows with the position, waiting out a full or busy buffer (policy
   * `block`); returns how many rows were written.
   */
  async #write(kind: Kind, rows: AnyRow[], position: ReplayPosition): Promise<number> {
    const checkpoint = { name: CHECKPOINT_NAME, position: JSON.stringify(position) };
    for (let attempt = 0;; attempt++) {
      if (this.#stopped) throw new Stopped();
      try {
        await this.#ctx.write(kind, rows as never[], checkpoint);
        return rows.length;
      } catch (error) {
        if (error instanceof PermanentError) {
          // Our checks should make this impossible; do not loop on it: count the
          // batch as rejected and move past it.
          this.#ctx.log.error("the buffer refused a batch; its rows are counted as rejected", {
            reason: error.reason,
            error: error.message,
            rows: rows.length,
          });
          this.#ctx.rejected(error.reason, rows.length);
          rows = [];
          continue;
        }
        const wait = backoffDelay(attempt, { initialMs: 100, maxMs: 5_000 });
        this.#ctx.log.warn("buffer write failed; retrying", {
          reason: error instanceof RetryableError ? error.reason : "error",
          error: String(error),
          retry_in_ms: wait,
        });
        await this.#sleep(wait);
      }
    }
  }

  /** Waits as long as `rate` asks for, so rows/s stays at or below it. */
  async #pace(): Promise<void> {
    if (this.#config.rate <= 0) return;
    const due = this.#startedAt + (this.#written / this.#config.rate) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await this.#sleep(wait);
  }

  async #retrying<T>(what: string, f: () => Promise<T>): Promise<T> {
    for (let attempt = 0;; attempt++) {
      if (this.#stopped) throw new Stopped();
      try {
        return await f();
      } catch (error) {
        const wait = backoffDelay(attempt, { initialMs: 500, maxMs: 30_000 });
        this.#ctx.log.warn(`cannot ${what}; retrying`, { error: String(error), retry_in_ms: wait });
        await this.#sleep(wait);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.reject(new Stopped());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        reject(new Stopped());
      };
    });
  }

  /** Counts the flags of the rows just committed (`tributary_agent_input_flagged_total`). */
  #reportFlags(): void {
    const flags = this.#checks.flags;
    for (const flag of Object.keys(flags) as (keyof typeof flags)[]) {
      const n = flags[flag] - this.#reportedFlags[flag];
      if (n > 0) this.#ctx.flagged?.(flag, n);
    }
    this.#reportedFlags = { ...flags };
  }

  #totalRows(): number {
    const r = this.stats.rows;
    return r.trades + r.quotes + r.readings;
  }
}
