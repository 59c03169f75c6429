/**
 * Internal: drains one output stream of a child process into a log file and a
 * bounded in-memory tail, and hands each complete line to a callback.
 *
 * Draining matters twice over: a child blocks once its pipe buffer is full,
 * and the test sanitizers fail a test whose pipe is left unread.
 *
 * @module
 */

/** Options of {@linkcode captureOutput}. */
export interface CaptureOptions {
  /** The file that receives every byte, created or truncated. */
  path: string;
  /** Called with each complete line (without its newline). */
  onLine?: (line: string) => void;
  /** How many trailing characters stay in memory. @default 4 MiB */
  maxTailChars?: number;
}

/** A stream being captured. */
export interface Capture {
  /** The file that receives the stream. */
  readonly path: string;
  /** The captured text so far (its last `maxTailChars` characters). */
  text(): string;
  /** The last `lines` lines captured so far. */
  tail(lines?: number): string;
  /** Settles when the stream has ended and the file is closed; never rejects. */
  readonly done: Promise<void>;
}

/** Starts draining `stream` at once; see {@linkcode Capture}. */
export async function captureOutput(
  stream: ReadableStream<Uint8Array>,
  options: CaptureOptions,
): Promise<Capture> {
  const maxTail = options.maxTailChars ?? 4 * 1024 * 1024;
  const file = await Deno.open(options.path, { write: true, create: true, truncate: true });
  let kept = "";
  let partial = "";
  const decoder = new TextDecoder();

  const append = (chunk: string) => {
    kept += chunk;
    // Trim in large steps so a chatty child does not make every append O(n).
    if (kept.length > maxTail * 1.5) kept = kept.slice(kept.length - maxTail);
    partial += chunk;
    let newline = partial.indexOf("\n");
    while (newline >= 0) {
      const line = partial.slice(0, newline).replace(/\r$/, "");
      partial = partial.slice(newline + 1);
      options.onLine?.(line);
      newline = partial.indexOf("\n");
    }
  };

  const pump = async () => {
    try {
      for await (const chunk of stream) {
        await writeAll(file, chunk);
        append(decoder.decode(chunk, { stream: true }));
      }
    } catch {
      // The child went away mid-read: what we have is all there is.
    } finally {
      append(decoder.decode());
      if (partial.length > 0) options.onLine?.(partial);
      partial = "";
      file.close();
    }
  };

  const done = pump();
  return {
    path: options.path,
    text: () => kept.length > maxTail ? kept.slice(kept.length - maxTail) : kept,
    tail: (lines = 20) => lastLines(kept, lines),
    done,
  };
}

/** The last `count` lines of `text`, without a trailing empty line. */
export function lastLines(text: string, count: number): string {
  const lines = text.replace(/\n$/, "").split("\n");
  return lines.slice(Math.max(0, lines.length - count)).join("\n");
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}
