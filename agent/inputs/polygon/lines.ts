/**
 * Splits a byte stream into text lines without ever holding more than one
 * chunk and one (bounded) line in memory: the reader behind the Polygon
 * replay, fed by `DecompressionStream("gzip")`.
 *
 * Lines that are not valid UTF-8 (or hold NUL characters, as UTF-16 text read
 * as UTF-8 does) come out as a `bad_encoding` fault, lines longer than
 * `maxLineBytes` as one `too_large` fault each (their bytes are skipped, not
 * buffered), so the caller can reject and count them and go on.
 *
 * @module
 */

/** A line the reader could not turn into text. */
export interface LineFault {
  fault: "too_large" | "bad_encoding";
}

/** One line: its text (without `\n` or `\r\n`) or why it has none. */
export type LineItem = string | LineFault;

/** Options of {@linkcode readLines}. */
export interface ReadLinesOptions {
  /** Longest line kept, in bytes (checked in characters for lines inside one chunk). */
  maxLineBytes: number;
}

const NEWLINE = 10;

/**
 * Yields the lines of `stream`, a batch per chunk read, in order; every line
 * of the stream is exactly one item, so item counts are line numbers. A last
 * line without a newline is yielded too. Cancels the stream when the caller
 * stops early.
 *
 * @example
 * ```ts
 * const file = await Deno.open("trades.csv.gz");
 * const text = file.readable.pipeThrough(new DecompressionStream("gzip"));
 * for await (const lines of readLines(text, { maxLineBytes: 65536 })) console.log(lines.length);
 * ```
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  options: ReadLinesOptions,
): AsyncGenerator<LineItem[]> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const max = options.maxLineBytes;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let oversize = false;
  let sawPending = false;

  const appendPending = (bytes: Uint8Array) => {
    sawPending = true;
    if (oversize || bytes.length === 0) return;
    if (pendingBytes + bytes.length > max) {
      oversize = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(bytes);
    pendingBytes += bytes.length;
  };
  const finishPending = (): LineItem => {
    const item: LineItem = oversize ? { fault: "too_large" } : decodeLine(decoder, concat(pending));
    pending = [];
    pendingBytes = 0;
    oversize = false;
    sawPending = false;
    return item;
  };

  const reader = stream.getReader();
  try {
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
      const out: LineItem[] = [];
      let start = 0;
      if (sawPending) {
        const nl = chunk.indexOf(NEWLINE);
        if (nl < 0) {
          appendPending(chunk);
          continue;
        }
        appendPending(chunk.subarray(0, nl));
        out.push(finishPending());
        start = nl + 1;
      }
      const lastNl = chunk.lastIndexOf(NEWLINE);
      if (lastNl >= start) {
        pushBlock(decoder, chunk.subarray(start, lastNl), max, out);
        start = lastNl + 1;
      }
      if (start < chunk.length) appendPending(chunk.subarray(start));
      if (out.length > 0) yield out;
    }
    if (sawPending) yield [finishPending()];
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** Decodes a block of whole lines at once (the fast path), else line by line. */
function pushBlock(decoder: TextDecoder, block: Uint8Array, max: number, out: LineItem[]): void {
  let text: string | undefined;
  try {
    text = decoder.decode(block);
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    for (const raw of text.split("\n")) out.push(checkLine(stripCr(raw), max));
    return;
  }
  let from = 0;
  for (;;) {
    const nl = block.indexOf(NEWLINE, from);
    const end = nl < 0 ? block.length : nl;
    const line = block.subarray(from, end);
    out.push(line.length > max ? { fault: "too_large" } : decodeLine(decoder, line));
    if (nl < 0) return;
    from = nl + 1;
  }
}

function checkLine(line: string, max: number): LineItem {
  if (line.length > max) return { fault: "too_large" };
  if (line.includes("\0")) return { fault: "bad_encoding" };
  return line;
}

function decodeLine(decoder: TextDecoder, bytes: Uint8Array): LineItem {
  try {
    const text = stripCr(decoder.decode(bytes));
    return text.includes("\0") ? { fault: "bad_encoding" } : text;
  } catch {
    return { fault: "bad_encoding" };
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
