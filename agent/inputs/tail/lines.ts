/**
 * Splits the bytes of a file into lines while keeping track of file offsets,
 * so the tail input can checkpoint the exact byte after the last line it
 * committed. A line longer than `maxLineBytes` is not kept in memory: it is
 * skipped up to its newline and reported once as `too_large`.
 *
 * @module
 */

/** One complete line (without its `\n` and a trailing `\r`) and where it lies in the file. */
export interface SplitLine {
  kind: "line";
  bytes: Uint8Array;
  /** File offset of the line's first byte. */
  start: number;
  /** File offset after its newline (or after its last byte when flushed at EOF). */
  end: number;
}

/** A line skipped because it exceeded `maxLineBytes`. */
export interface SkippedLine {
  kind: "too_large";
  start: number;
  end: number;
  /** Its length in bytes, newline excluded. */
  bytes: number;
}

/** What {@linkcode LineSplitter.push} yields, in file order. */
export type SplitItem = SplitLine | SkippedLine;

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Stateful line splitter over consecutive chunks of one file. */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #parts: Uint8Array[] = [];
  #partLength = 0;
  /** True while discarding the rest of an over-long line. */
  #skipping = false;
  #lineStart: number;
  #position: number;

  /**
   * @param offset file offset of the first byte that will be pushed
   * @param maxLineBytes longest line kept; longer ones are skipped
   */
  constructor(offset: number, maxLineBytes: number) {
    this.#lineStart = offset;
    this.#position = offset;
    this.#maxLineBytes = maxLineBytes;
  }

  /** File offset after the last complete line yielded: where a restart resumes. */
  get completeOffset(): number {
    return this.#lineStart;
  }

  /** File offset after the last byte pushed. */
  get position(): number {
    return this.#position;
  }

  /** Bytes of an unfinished line held (0 when none, or while skipping). */
  get pendingBytes(): number {
    return this.#partLength;
  }

  /** True when bytes after the last complete line were pushed. */
  get hasPartial(): boolean {
    return this.#position > this.#lineStart;
  }

  /**
   * Feeds the next bytes of the file; returns the lines they complete. The
   * lines (and the unfinished one kept) are views of `chunk`, not copies:
   * the caller must not write into `chunk` afterwards.
   */
  push(chunk: Uint8Array): SplitItem[] {
    const out: SplitItem[] = [];
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, from);
      const stop = nl === -1 ? chunk.length : nl;
      if (!this.#skipping) {
        const piece = chunk.subarray(from, stop);
        if (this.#partLength + piece.length > this.#maxLineBytes) {
          this.#skipping = true;
          this.#parts = [];
        } else if (piece.length > 0) {
          this.#parts.push(piece);
        }
        this.#partLength += piece.length;
      } else {
        this.#partLength += stop - from;
      }
      this.#position += stop - from;
      if (nl === -1) break;
      this.#position += 1;
      out.push(this.#finishLine(this.#position));
      from = nl + 1;
    }
    return out;
  }

  /**
   * Ends the unfinished line as if a newline followed (at EOF of a rotated or
   * truncated file); `undefined` when there is none.
   */
  flush(): SplitItem | undefined {
    return this.hasPartial ? this.#finishLine(this.#position) : undefined;
  }

  /** Forgets any unfinished line and continues at `offset` (after a truncation). */
  reset(offset: number): void {
    this.#parts = [];
    this.#partLength = 0;
    this.#skipping = false;
    this.#lineStart = offset;
    this.#position = offset;
  }

  #finishLine(end: number): SplitItem {
    const start = this.#lineStart;
    let item: SplitItem;
    if (this.#skipping) {
      item = { kind: "too_large", start, end, bytes: this.#partLength };
    } else {
      let bytes = this.#parts.length === 1
        ? this.#parts[0]!
        : concat(this.#parts, this.#partLength);
      if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
      item = { kind: "line", bytes, start, end };
    }
    this.#parts = [];
    this.#partLength = 0;
    this.#skipping = false;
    this.#lineStart = end;
    return item;
  }
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
