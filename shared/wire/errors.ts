/**
 * The one error type the wire decoder throws. Its `code` says which rule the
 * message broke, so the hub can label its quarantine and its metrics with it.
 *
 * @module
 */
import { PermanentError } from "../errors.ts";

/** Every reason a message can be rejected, in the order the decoder checks them. */
export const WIRE_ERROR_CODES = [
  "oversized",
  "truncated",
  "bad_magic",
  "unknown_version",
  "unknown_codec",
  "bad_header",
  "checksum_mismatch",
  "corrupt_body",
  "schema_mismatch",
] as const;

/**
 * Why a message was rejected.
 *
 * - `truncated`: shorter than the header or than the lengths it declares.
 * - `bad_magic`: does not start with `TRIB`.
 * - `unknown_version`: a format version this decoder does not speak.
 * - `unknown_codec`: a codec id other than 0, 1, 2.
 * - `bad_header`: an invalid agent id, stream, sequence range, row count or length.
 * - `oversized`: over a {@linkcode DecodeLimits} limit.
 * - `checksum_mismatch`: the CRC-32 does not match the bytes.
 * - `corrupt_body`: decompression or Arrow IPC parsing failed.
 * - `schema_mismatch`: the Arrow body is well formed but not what the stream requires.
 */
export type WireErrorCode = typeof WIRE_ERROR_CODES[number];

/**
 * A message that will never decode: quarantine it with `code` as the reason.
 * `reason` (from {@linkcode PermanentError}) equals `code`.
 *
 * @example
 * ```ts
 * try {
 *   decodeBatch(bytes);
 * } catch (error) {
 *   if (error instanceof WireError) quarantine(bytes, error.code);
 * }
 * ```
 */
export class WireError extends PermanentError {
  override readonly name: string = "WireError";
  /** Which rule the message broke. */
  readonly code: WireErrorCode;
  constructor(code: WireErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.code = code;
  }
}
