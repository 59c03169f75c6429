/**
 * Decides whether the bytes of one log line are text we keep: valid UTF-8
 * without control characters that never occur in text logs. Used by the
 * `tail` and `syslog` inputs; a refused line is counted under the returned
 * reason and the input goes on.
 *
 * @module
 */

/** Why a line is not kept as text. */
export type TextProblem =
  /** Not valid UTF-8 (e.g. Latin-1 bytes, a cut multi-byte sequence). */
  | "invalid_utf8"
  /** NUL or other C0 control bytes: binary junk or UTF-16 text. */
  | "binary";

/** The decoded text, or why there is none. */
export type DecodedText = { ok: true; text: string } | { ok: false; reason: TextProblem };

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * True for bytes that do not belong in a text log line: C0 controls other
 * than TAB, VT, FF, CR and ESC (ANSI colours), and LF where allowed; DEL is allowed.
 */
function isBinaryByte(byte: number, allowNewline: boolean): boolean {
  return byte < 0x20 && byte !== 0x09 && byte !== 0x0b && byte !== 0x0c && byte !== 0x0d &&
    byte !== 0x1b && !(allowNewline && byte === 0x0a);
}

/** {@linkcode isBinaryByte} as two lookup tables (without and with LF allowed): 1 = binary. */
const BINARY_BYTES = [false, true].map((allowNewline) => {
  const table = new Uint8Array(256);
  for (let b = 0; b < 256; b++) table[b] = isBinaryByte(b, allowNewline) ? 1 : 0;
  return table;
}) as [Uint8Array, Uint8Array];

/** Options of {@linkcode decodeText}. */
export interface DecodeTextOptions {
  /** Accept LF inside the text (a syslog message may span lines). @default false */
  allowNewline?: boolean;
}

/**
 * Decodes one line. A leading UTF-8 BOM is dropped.
 *
 * @example
 * ```ts
 * decodeText(new TextEncoder().encode("héllo")); // { ok: true, text: "héllo" }
 * decodeText(new Uint8Array([0x68, 0x00, 0x69, 0x00])); // { ok: false, reason: "binary" }
 * ```
 */
export function decodeText(bytes: Uint8Array, options: DecodeTextOptions = {}): DecodedText {
  const binary = BINARY_BYTES[options.allowNewline ? 1 : 0];
  for (let i = 0; i < bytes.length; i++) {
    if (binary[bytes[i]!] === 1) return { ok: false, reason: "binary" };
  }
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    return { ok: false, reason: "invalid_utf8" };
  }
}
