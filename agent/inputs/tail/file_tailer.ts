/**
 * Follows one path: reads the file open under it from a byte offset, turns
 * complete lines into log rows and commits them together with the new offset
 * (one buffer transaction, see position.ts), and notices rotation.
 *
 * - Rotation by rename (logrotate `create`): the path now names another
 *   inode, or none. The open file is read on until it has not grown for
 *   `rotate_wait_ms`; its last unterminated line is taken as a line; then the
 *   new file under the path is read from offset 0.
 * - Rotation by truncation (`copytruncate`): the open file is shorter than
 *   what was read, or the bytes just before the read position changed
 *   (truncated and written again between two polls). The unread rest is
 *   taken from the copy beside the path, whatever was held is committed,
 *   then reading restarts at 0.
 * - A crash: the committed offset is the byte after the last committed line
 *   (never inside a multi-line record still being joined), so a restart
 *   reads every later line exactly once. If the file was rotated while the
 *   agent was down, the old inode is looked for beside the path
 *   (`app.log.1`) and its remaining lines are read first.
 *
 * @module
 */
import { readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { PermanentError } from "@tributary/shared/errors";
import { type LogLine, nowNs } from "@tributary/shared/records";
import type { InputContext } from "../input.ts";
import type { TailConfig } from "./config.ts";
import { detectLevel } from "./level.ts";
import { LineSplitter, type SplitItem } from "./lines.ts";
import { type JoinedRecord, MultilineJoiner } from "./multiline.ts";
import {
  checkpointName,
  decodePosition,
  encodePosition,
  type FilePosition,
  fromHex,
  toHex,
} from "./position.ts";
import { decodeText } from "./text.ts";
import { parseLeadingRfc3339 } from "./timestamp.ts";
import { type SkewCheck, skewCheck } from "../processors/skew.ts";

/** What one {@linkcode FileTailer.poll} found. */
export type PollResult =
  /** Read a full `read_bytes`: there is probably more, poll again at once. */
  | "more"
  /** Nothing more for now. */
  | "idle"
  /** The path has no file any more and the old one is drained: forget this tailer. */
  | "gone";

/** How a tailer is opened. */
export interface OpenOptions {
  /**
   * True at agent start: a file without checkpoint starts at `start_at`, and
   * a checkpointed inode no longer under the path is looked for beside it.
   * False for files found later, which are new and read from the beginning.
   */
  initial: boolean;
}

/** How many bytes before the read position are compared to notice a rewritten file. */
const FINGERPRINT_BYTES = 64;

/** Chunk size of one read call. */
const READ_CHUNK = 64 * 1024;

/** A write that failed with a retryable error, kept to be retried as is. */
interface Outbox {
  rows: LogLine[];
  position: FilePosition;
}

/** One followed path. Create with {@linkcode FileTailer.open}. */
export class FileTailer {
  readonly path: string;
  readonly #config: TailConfig;
  readonly #ctx: InputContext;
  readonly #pattern: RegExp | undefined;
  readonly #skew: SkewCheck;
  #file: Deno.FsFile;
  #dev: number;
  #ino: number;
  #splitter: LineSplitter;
  readonly #joiner: MultilineJoiner;
  #outbox: Outbox | undefined;
  /** When the open file last grew (or was opened), ms. */
  #lastGrowth = performance.now();
  /** When the last line was joined into an open multi-line record, ms. */
  #lastLine = performance.now();
  /** When the path was first seen naming another file (or none), ms. */
  #rotationSeen: number | undefined;
  #closed = false;
  /**
   * The last bytes read (those just before the read position), to notice a
   * file truncated and written past the read position between two polls.
   * Empty right after opening: a restart relies on the size check alone.
   */
  #fingerprint = new Uint8Array(0);
  /** The copy of a truncated file while its rest is read (see `#readCopy`). */
  #reading: Deno.FsFile | undefined;

  private constructor(
    path: string,
    file: Deno.FsFile,
    stat: Deno.FileInfo,
    offset: number,
    config: TailConfig,
    ctx: InputContext,
  ) {
    this.path = path;
    this.#file = file;
    this.#dev = stat.dev;
    this.#ino = stat.ino ?? 0;
    this.#config = config;
    this.#ctx = ctx;
    this.#skew = skewCheck(config);
    this.#pattern = config.multiline_start === "" ? undefined : new RegExp(config.multiline_start);
    this.#splitter = new LineSplitter(offset, config.max_line_bytes);
    this.#joiner = this.#newJoiner();
  }

  /**
   * Opens `path` where its checkpoint says (see {@linkcode OpenOptions}), and
   * commits the starting position when there was none. `undefined` when the
   * path is not a regular file (any more).
   */
  static async open(
    path: string,
    config: TailConfig,
    ctx: InputContext,
    options: OpenOptions,
  ): Promise<FileTailer | undefined> {
    const saved = decodePosition(await ctx.readCheckpoint(checkpointName(path)));
    const opened = await openFile(path);
    if (opened === undefined) return undefined;
    const { file, stat } = opened;
    try {
      if (saved !== undefined && saved.dev === stat.dev && saved.ino === stat.ino) {
        if (saved.offset <= stat.size && await bytesBeforeMatch(file, saved)) {
          return await FileTailer.#at(path, file, stat, saved.offset, config, ctx);
        }
        // Truncated (and maybe written again) while the agent was down: copytruncate.
        const copy = saved.fp === undefined
          ? undefined
          : await findCopy(path, stat.ino ?? 0, saved.offset, fromHex(saved.fp));
        if (copy !== undefined) {
          ctx.log.info("file truncated while the agent was down; reading the rest from its copy", {
            path,
            copy: copy.name,
            offset: saved.offset,
          });
          file.close();
          return await FileTailer.#at(path, copy.file, copy.stat, saved.offset, config, ctx);
        }
        ctx.log.warn("file truncated while the agent was down and no copy found; reading from 0", {
          path,
          checkpoint: saved.offset,
          size: stat.size,
        });
        return await FileTailer.#at(path, file, stat, 0, config, ctx);
      }
      if (saved !== undefined && options.initial) {
        // The path was rotated while the agent was down: finish the old inode first.
        const rotated = await findInode(dirname(path), saved);
        if (rotated !== undefined) {
          ctx.log.info("resuming a file rotated while the agent was down", {
            path,
            rotated: rotated.name,
            offset: saved.offset,
          });
          file.close();
          const offset = saved.offset <= rotated.stat.size ? saved.offset : 0;
          return await FileTailer.#at(path, rotated.file, rotated.stat, offset, config, ctx);
        }
        ctx.log.warn("the file checkpointed for this path is gone; reading the new one from 0", {
          path,
          checkpoint: saved,
        });
      }
      const offset = saved === undefined && options.initial && config.start_at === "end"
        ? stat.size
        : 0;
      const tailer = await FileTailer.#at(path, file, stat, offset, config, ctx);
      // Commit the start now: a crash before the first line must not move it (start_at = end).
      await ctx.write("logs", [], tailer.#checkpoint(offset));
      return tailer;
    } catch (error) {
      try {
        file.close();
      } catch { /* already closed by a tailer */ }
      throw error;
    }
  }

  static async #at(
    path: string,
    file: Deno.FsFile,
    stat: Deno.FileInfo,
    offset: number,
    config: TailConfig,
    ctx: InputContext,
  ): Promise<FileTailer> {
    await file.seek(offset, Deno.SeekMode.Start);
    return new FileTailer(path, file, stat, offset, config, ctx);
  }

  /** Byte offset after the last line read and closed (committed or about to be). */
  get offset(): number {
    return this.#joiner.pendingStart ?? this.#splitter.completeOffset;
  }

  /**
   * Reads what is new, commits it with the offset after it, and handles
   * rotation and truncation.
   *
   * @throws {RetryableError} (or any error of `ctx.write`) when the buffer
   * refused the rows; they are kept and retried first by the next poll.
   */
  async poll(): Promise<PollResult> {
    if (this.#outbox !== undefined) await this.#flushOutbox();
    if (await this.#rewritten()) {
      await this.#readAgainFromZero();
      return "more";
    }
    const { rows, full } = await this.#readNew();
    const now = performance.now();
    const openFor = now - this.#lastLine;
    if (this.#joiner.pendingStart !== undefined && openFor >= this.#config.multiline_timeout_ms) {
      this.#pushRecord(rows, this.#joiner.flush());
    }
    if (rows.length > 0) {
      await this.#commit(rows);
      return full ? "more" : "idle";
    }
    if (full) return "more";
    return await this.#checkRotation(now);
  }

  /** Closes the file. Lines not yet committed are read again after a restart. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }

  #newJoiner(): MultilineJoiner {
    return new MultilineJoiner({
      start: this.#pattern,
      maxLines: this.#config.multiline_max_lines,
      maxChars: this.#config.max_line_bytes * 4,
    });
  }

  #checkpoint(offset: number): { name: string; position: string } {
    return {
      name: checkpointName(this.path),
      position: encodePosition({ dev: this.#dev, ino: this.#ino, offset }),
    };
  }

  /** Reads up to `read_bytes` and turns complete lines into rows. */
  async #readNew(file: Deno.FsFile = this.#file): Promise<{ rows: LogLine[]; full: boolean }> {
    const rows: LogLine[] = [];
    let total = 0;
    const before = this.offset;
    while (total < this.#config.read_bytes) {
      // A fresh buffer per read: the splitter keeps views into it, not copies.
      const buffer = new Uint8Array(READ_CHUNK);
      const n = await file.read(buffer);
      if (n === null || n === 0) break;
      total += n;
      this.#lastGrowth = performance.now();
      const chunk = buffer.subarray(0, n);
      this.#remember(chunk);
      for (const item of this.#splitter.push(chunk)) this.#take(item, rows);
    }
    // Lines consumed without a row (rejected) still move the checkpoint: commit it alone.
    if (rows.length === 0 && this.offset !== before) await this.#commit(rows);
    return { rows, full: total >= this.#config.read_bytes };
  }

  /** Turns one split item into rows (or a counted rejection). */
  #take(item: SplitItem, rows: LogLine[]): void {
    if (item.kind === "too_large") {
      this.#ctx.rejected("too_large");
      return;
    }
    const decoded = decodeText(item.bytes);
    if (!decoded.ok) {
      this.#ctx.rejected(decoded.reason);
      return;
    }
    this.#lastLine = performance.now();
    for (const record of this.#joiner.push(decoded.text, item.start, item.end)) {
      this.#pushRecord(rows, record);
    }
  }

  #pushRecord(rows: LogLine[], record: JoinedRecord | undefined): void {
    if (record === undefined) return;
    const recvTs = nowNs();
    let ts = recvTs;
    if (this.#config.timestamp === "rfc3339") {
      const leading = parseLeadingRfc3339(record.text);
      if (leading !== undefined) {
        if (this.#skew.skewed(leading.tsNs, recvTs)) {
          this.#ctx.rejected("clock_skew");
          return;
        }
        ts = leading.tsNs;
      }
    }
    const fields: Record<string, unknown> = { file: this.path, offset: record.start };
    if (record.lines > 1) fields.lines = record.lines;
    rows.push({
      ts,
      recv_ts: recvTs,
      source: this.#config.source === "" ? this.path : this.#config.source,
      level: this.#config.level === "auto" ? detectLevel(record.text, "info") : this.#config.level,
      message: record.text,
      fields: JSON.stringify(fields),
    });
  }

  /** Commits `rows` with the current offset; keeps them for a retry when the buffer refuses. */
  async #commit(rows: LogLine[]): Promise<void> {
    const offset = this.offset;
    const fp = await this.#fingerprintBefore(offset);
    const position: FilePosition = { dev: this.#dev, ino: this.#ino, offset };
    if (fp !== undefined) position.fp = fp;
    this.#outbox = { rows, position };
    await this.#flushOutbox();
  }

  /** Hex of the bytes just before `offset` in the stream being read, if they can be had. */
  async #fingerprintBefore(offset: number): Promise<string | undefined> {
    if (offset === 0) return undefined;
    const want = Math.min(FINGERPRINT_BYTES, offset);
    if (offset === this.#splitter.position && this.#fingerprint.length === want) {
      return toHex(this.#fingerprint);
    }
    // A partial line or an open record follows the offset: read the bytes again.
    const file = this.#reading ?? this.#file;
    try {
      await file.seek(offset - want, Deno.SeekMode.Start);
      const bytes = await readExactly(file, want);
      return bytes.length === want ? toHex(bytes) : undefined;
    } finally {
      await file.seek(this.#splitter.position, Deno.SeekMode.Start);
    }
  }

  async #flushOutbox(): Promise<void> {
    const outbox = this.#outbox;
    if (outbox === undefined) return;
    const checkpoint = {
      name: checkpointName(this.path),
      position: encodePosition(outbox.position),
    };
    try {
      await this.#ctx.write("logs", outbox.rows, checkpoint);
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      // Rows the buffer will never take: count them and move past them.
      this.#ctx.rejected(error.reason, outbox.rows.length);
      this.#ctx.log.error("rows refused by the buffer; skipped", {
        path: this.path,
        rows: outbox.rows.length,
        error: error.message,
      });
      await this.#ctx.write("logs", [], checkpoint);
    }
    this.#outbox = undefined;
  }

  /**
   * True when the open file was truncated since the last read: it is shorter
   * than what was read, or (truncated and written again before this poll)
   * the bytes just before the read position are no longer the ones read.
   */
  async #rewritten(): Promise<boolean> {
    const size = (await this.#file.stat()).size;
    const position = this.#splitter.position;
    if (size < position) return true;
    const expected = this.#fingerprint;
    // Equal sizes are checked too: copytruncate followed by writes of exactly
    // the length read (lines of one length) leaves the size where it was.
    if (expected.length === 0) return false;
    await this.#file.seek(position - expected.length, Deno.SeekMode.Start);
    const actual = await readExactly(this.#file, expected.length);
    await this.#file.seek(position, Deno.SeekMode.Start);
    return !sameBytes(actual, expected);
  }

  /**
   * After a truncation: reads what was not read yet from the copy
   * (copytruncate), commits what was held, then reads the file from offset 0.
   */
  async #readAgainFromZero(): Promise<void> {
    this.#ctx.log.info("file truncated; reading it again from 0", {
      path: this.path,
      was: this.#splitter.position,
    });
    await this.#readCopy();
    await this.#drainHeld();
    this.#splitter.reset(0);
    this.#fingerprint = new Uint8Array(0);
    await this.#file.seek(0, Deno.SeekMode.Start);
    await this.#commit([]);
  }

  /**
   * `copytruncate` copied the file before truncating it: the copy continues
   * the byte stream read so far, so the lines after the read position are
   * read from it. Without a copy they are lost (and a warning says so).
   */
  async #readCopy(): Promise<void> {
    const position = this.#splitter.position;
    if (position === 0 || this.#fingerprint.length === 0) return;
    const copy = await findCopy(this.path, this.#ino, position, this.#fingerprint);
    if (copy === undefined) {
      this.#ctx.log.warn(
        "truncated file: no copy found; lines after the read position may be lost",
        {
          path: this.path,
          offset: position,
        },
      );
      return;
    }
    try {
      this.#ctx.log.info("reading the rest of a truncated file from its copy", {
        path: this.path,
        copy: copy.name,
        offset: position,
      });
      await copy.file.seek(position, Deno.SeekMode.Start);
      this.#reading = copy.file;
      for (;;) {
        const { rows, full } = await this.#readNew(copy.file);
        if (rows.length > 0) await this.#commit(rows);
        if (!full) break;
      }
    } finally {
      this.#reading = undefined;
      copy.file.close();
    }
  }

  /** Keeps the last {@linkcode FINGERPRINT_BYTES} bytes read. */
  #remember(chunk: Uint8Array): void {
    if (chunk.length >= FINGERPRINT_BYTES) {
      this.#fingerprint = chunk.slice(chunk.length - FINGERPRINT_BYTES);
      return;
    }
    const joined = new Uint8Array(this.#fingerprint.length + chunk.length);
    joined.set(this.#fingerprint);
    joined.set(chunk, this.#fingerprint.length);
    this.#fingerprint = joined.slice(Math.max(0, joined.length - FINGERPRINT_BYTES));
  }

  /** Called at EOF: handles rotation. */
  async #checkRotation(now: number): Promise<PollResult> {
    const current = await statOrUndefined(this.path);
    const sameFile = current !== undefined && current.dev === this.#dev &&
      current.ino === this.#ino;
    if (sameFile) return "idle";
    // Writers may still append to the renamed file: keep reading it until it
    // has been quiet for rotate_wait_ms since the rotation was noticed.
    this.#rotationSeen ??= now;
    const quietSince = Math.max(this.#lastGrowth, this.#rotationSeen);
    if (now - quietSince < this.#config.rotate_wait_ms) return "idle";
    // Rotated (or deleted) and quiet for rotate_wait_ms: finish it, then follow the path again.
    await this.#drainHeld();
    const next = await openFile(this.path);
    this.#file.close();
    if (next === undefined) {
      this.#closed = true;
      this.#ctx.log.info("file rotated away; no new file under the path yet", { path: this.path });
      return "gone";
    }
    this.#ctx.log.info("file rotated; following the new file", { path: this.path });
    this.#file = next.file;
    this.#dev = next.stat.dev;
    this.#ino = next.stat.ino ?? 0;
    this.#splitter = new LineSplitter(0, this.#config.max_line_bytes);
    this.#fingerprint = new Uint8Array(0);
    this.#lastGrowth = now;
    this.#rotationSeen = undefined;
    await this.#commit([]);
    return "more";
  }

  /** Commits the unterminated last line and any open record (end of a rotated or truncated file). */
  async #drainHeld(): Promise<void> {
    const rows: LogLine[] = [];
    const last = this.#splitter.flush();
    if (last !== undefined) this.#take(last, rows);
    this.#pushRecord(rows, this.#joiner.flush());
    await this.#commit(rows);
  }
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Opens a regular file for reading; `undefined` when missing or not a file. */
async function openFile(
  path: string,
): Promise<{ file: Deno.FsFile; stat: Deno.FileInfo } | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile) {
      file.close();
      return undefined;
    }
    return { file, stat };
  } catch (error) {
    file.close();
    throw error;
  }
}

/** Looks in `dir` for the file with `position`'s device and inode (a rotated file). */
async function findInode(
  dir: string,
  position: FilePosition,
): Promise<{ name: string; file: Deno.FsFile; stat: Deno.FileInfo } | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    const stat = await statOrUndefined(join(dir, name)).catch(() => undefined);
    if (stat?.isFile && stat.dev === position.dev && stat.ino === position.ino) {
      const opened = await openFile(join(dir, name));
      if (opened && opened.stat.ino === position.ino) return { name, ...opened };
      opened?.file.close();
    }
  }
  return undefined;
}

async function readExactly(file: Deno.FsFile, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let at = 0;
  while (at < length) {
    const n = await file.read(out.subarray(at));
    if (n === null || n === 0) break;
    at += n;
  }
  return out.subarray(0, at);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Finds the copy `copytruncate` made of `path` (e.g. `app.log.1`,
 * `app.log-20240501`) before truncating it: a file beside it whose name
 * starts with its name, another inode, at least `position` bytes long, whose
 * bytes just before `position` are `fingerprint`. The newest such file wins.
 */
async function findCopy(
  path: string,
  ino: number,
  position: number,
  fingerprint: Uint8Array,
): Promise<{ name: string; file: Deno.FsFile; stat: Deno.FileInfo } | undefined> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  let best: { name: string; file: Deno.FsFile; stat: Deno.FileInfo; mtime: number } | undefined;
  for (const name of names) {
    if (name === base || !name.startsWith(base) || /\.(gz|xz|bz2|zst|lz4)$/.test(name)) continue;
    const opened = await openFile(join(dir, name)).catch(() => undefined);
    if (opened === undefined) continue;
    const { file, stat } = opened;
    let match = false;
    if (stat.ino !== ino && stat.size >= position) {
      await file.seek(position - fingerprint.length, Deno.SeekMode.Start);
      match = sameBytes(await readExactly(file, fingerprint.length), fingerprint);
    }
    const mtime = stat.mtime?.getTime() ?? 0;
    if (match && (best === undefined || mtime > best.mtime)) {
      best?.file.close();
      best = { name, file, stat, mtime };
    } else {
      file.close();
    }
  }
  return best && { name: best.name, file: best.file, stat: best.stat };
}

/** True when the bytes before `position.offset` in `file` are its fingerprint (or it has none). */
async function bytesBeforeMatch(file: Deno.FsFile, position: FilePosition): Promise<boolean> {
  if (position.fp === undefined) return true;
  const expected = fromHex(position.fp);
  if (expected.length > position.offset) return false;
  await file.seek(position.offset - expected.length, Deno.SeekMode.Start);
  return sameBytes(await readExactly(file, expected.length), expected);
}
