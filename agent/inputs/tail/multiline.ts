/**
 * Joins continuation lines (stack traces, wrapped messages) to the line that
 * starts a record: a line matching the start pattern opens a new record,
 * any other line is appended to the open one. A line that does not match
 * while no record is open becomes a record of its own.
 *
 * The joiner remembers where its open record starts in the file, so the tail
 * input never checkpoints past lines that are still being joined.
 *
 * @module
 */

/** One joined record and the file range it covers. */
export interface JoinedRecord {
  text: string;
  /** File offset of its first line. */
  start: number;
  /** File offset after its last line. */
  end: number;
  /** Lines joined (1 for a plain line). */
  lines: number;
}

/** Options of {@linkcode MultilineJoiner}. */
export interface MultilineOptions {
  /** A line matching this starts a record; `undefined` makes every line a record. */
  start: RegExp | undefined;
  /** A record is closed once it holds this many lines. */
  maxLines: number;
  /** A record is closed before it would exceed this many UTF-16 code units. */
  maxChars: number;
}

/** Stateful joiner for one file. */
export class MultilineJoiner {
  readonly #options: MultilineOptions;
  #open: { parts: string[]; chars: number; start: number; end: number } | undefined;

  constructor(options: MultilineOptions) {
    this.#options = options;
  }

  /** File offset where the open record starts, or `undefined` when none is open. */
  get pendingStart(): number | undefined {
    return this.#open?.start;
  }

  /** Adds one line (its text and file range); returns the records it closes. */
  push(text: string, start: number, end: number): JoinedRecord[] {
    const { start: pattern, maxLines, maxChars } = this.#options;
    if (pattern === undefined) return [{ text, start, end, lines: 1 }];
    const out: JoinedRecord[] = [];
    const open = this.#open;
    if (
      open === undefined || pattern.test(text) || open.parts.length >= maxLines ||
      open.chars + 1 + text.length > maxChars
    ) {
      const closed = this.flush();
      if (closed) out.push(closed);
      this.#open = { parts: [text], chars: text.length, start, end };
    } else {
      open.parts.push(text);
      open.chars += 1 + text.length;
      open.end = end;
    }
    return out;
  }

  /** Closes and returns the open record, if any. */
  flush(): JoinedRecord | undefined {
    const open = this.#open;
    if (open === undefined) return undefined;
    this.#open = undefined;
    return {
      text: open.parts.join("\n"),
      start: open.start,
      end: open.end,
      lines: open.parts.length,
    };
  }

  /** Drops the open record (the file was truncated before it closed). */
  clear(): void {
    this.#open = undefined;
  }
}
