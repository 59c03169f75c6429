/**
 * Turns a line-protocol body (an HTTP request body or an MQTT payload) into
 * readings, line by line: a bad line is rejected with its 1-based number and
 * a reason, and the good lines around it are kept.
 *
 * Reasons: `too_large` (line longer than the limit), `bad_encoding` (invalid
 * UTF-8, or a NUL byte: UTF-16 text has them), `bad_line` (not line
 * protocol), `clock_skew` (see ../processors/skew.ts), `no_numeric_field`
 * (only string fields). String fields next to numeric ones are counted
 * (`stringFields`) but do not reject the line.
 *
 * @module
 */
import type { Reading } from "@tributary/shared/records";
import type { SkewCheck } from "../processors/skew.ts";
import { LineSyntaxError, parseLine, toReadings } from "./line_protocol.ts";

/** Options of {@linkcode parseLineProtocolBody}. */
export interface BodyOptions {
  /** Longest line accepted, in bytes. */
  maxLineBytes: number;
  /** ns per timestamp unit. */
  precisionNs: bigint;
  /** The receive time (ns), also the event time of lines without a timestamp. */
  recvTs: bigint;
  skew: SkewCheck;
  /** See {@linkcode ToReadingsOptions.sensorTag}. */
  sensorTag?: string;
  /** Tags added to every reading. */
  extraTags?: Readonly<Record<string, string>>;
}

/** A rejected line. */
export interface LineRejection {
  /** 1-based line number in the body. */
  line: number;
  reason: string;
  message: string;
}

/** What a body yielded. */
export interface BodyResult {
  readings: Reading[];
  rejected: LineRejection[];
  /** Non-blank, non-comment lines seen. */
  lines: number;
  /** Numbers of the lines whose readings were kept, ascending. */
  kept: number[];
  /** String fields skipped in kept lines. */
  stringFields: number;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const utf8 = new TextEncoder();

/**
 * Splits `body` into lines (LF or CRLF) and calls `onLine` with each decoded
 * line and its 1-based number, or `onReject` for a line that is too long or
 * not valid UTF-8 (or holds a NUL byte, as UTF-16 text does). Blank lines
 * and lines starting with `#` (after blanks) are skipped. Never throws on bad
 * content.
 */
export function forEachLine(
  body: Uint8Array,
  maxLineBytes: number,
  onLine: (line: string, number: number) => void,
  onReject: (number: number, reason: string, message: string) => void,
): void {
  const handle = (raw: string | undefined, number: number, byteLength: number) => {
    if (raw === undefined) {
      // Length first: a huge line of junk is "too large" whatever its bytes.
      if (byteLength > maxLineBytes) {
        return onReject(number, "too_large", `line longer than ${maxLineBytes} bytes`);
      }
      return onReject(number, "bad_encoding", "not valid UTF-8");
    }
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.length > maxLineBytes || byteLengthAbove(line, maxLineBytes)) {
      return onReject(number, "too_large", `line longer than ${maxLineBytes} bytes`);
    }
    const trimmed = line.trim();
    if (trimmed.length === 0 || trimmed.startsWith("#")) return;
    if (line.includes("\0")) return onReject(number, "bad_encoding", "NUL byte (UTF-16 text?)");
    onLine(trimmed, number);
  };
  let text: string | undefined;
  try {
    text = strictUtf8.decode(body);
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    // Fast path: the whole body is valid UTF-8.
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) handle(lines[i]!, i + 1, 0);
    return;
  }
  // Some line is not valid UTF-8: find it without losing the others.
  let start = 0;
  let number = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    number++;
    const bytes = body.subarray(start, end);
    let line: string | undefined;
    try {
      line = strictUtf8.decode(bytes);
    } catch {
      line = undefined;
    }
    handle(line, number, bytes.length);
    start = end + 1;
  }
}

/** Parses a whole line-protocol body; never throws on bad content. */
export function parseLineProtocolBody(body: Uint8Array, options: BodyOptions): BodyResult {
  const result: BodyResult = { readings: [], rejected: [], lines: 0, kept: [], stringFields: 0 };
  const reject = (line: number, reason: string, message: string) => {
    result.lines++;
    result.rejected.push({ line, reason, message });
  };
  const mapping = { ...options, seriesCache: new Map() };
  forEachLine(body, options.maxLineBytes, (line, number) => {
    let parsed;
    try {
      parsed = parseLine(line);
    } catch (error) {
      if (error instanceof LineSyntaxError) return reject(number, "bad_line", error.message);
      throw error;
    }
    const { readings, ts, stringFields } = toReadings(parsed, mapping);
    if (!inInt64Range(ts)) return reject(number, "bad_line", `timestamp ${ts} ns out of range`);
    if (options.skew.skewed(ts, options.recvTs)) {
      return reject(number, "clock_skew", `timestamp ${ts} ns is outside the accepted window`);
    }
    if (readings.length === 0) return reject(number, "no_numeric_field", "only string fields");
    result.lines++;
    result.kept.push(number);
    result.stringFields += stringFields;
    for (const r of readings) result.readings.push(r);
  }, reject);
  return result;
}

/** True when `ts` fits the buffer's signed 64-bit ns columns. */
export function inInt64Range(ts: bigint): boolean {
  return ts >= -(2n ** 63n) && ts < 2n ** 63n;
}

function byteLengthAbove(line: string, max: number): boolean {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: only long lines need encoding.
  return line.length * 3 > max && utf8.encode(line).length > max;
}

/** Line numbers as ranges, e.g. [1, 2, 3, 5] → "1-3,5": for responses. */
export function lineRanges(lines: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < lines.length;) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j]! + 1) j++;
    parts.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
