/**
 * Wire format v1: one message carries one batch, as a small versioned
 * envelope and an Arrow IPC stream body (zstd by default). The decoder treats
 * every byte as hostile and throws only {@linkcode WireError}, whose `code`
 * names the rule a message broke. The byte-level spec is docs/wire-format.md.
 *
 * @example
 * ```ts
 * import { decodeBatch, encodeBatch, WireError } from "@tributary/shared/wire";
 *
 * const bytes = encodeBatch(batch); // zstd level 3
 * try {
 *   const { envelope, batch: decoded } = decodeBatch(bytes);
 * } catch (error) {
 *   if (error instanceof WireError) quarantine(bytes, error.code);
 * }
 * ```
 *
 * @module
 */
import type { Batch } from "../records.ts";
import { decodeArrowBody } from "./arrow_decode.ts";
import { encodeArrowBody } from "./arrow_encode.ts";
import { checkBatch } from "./batch_check.ts";
import { type Codec, compressBody, decompressBody, DEFAULT_CODEC, isCodec } from "./codec.ts";
import { assembleMessage, type Envelope, readEnvelope } from "./envelope.ts";
import { WireError } from "./errors.ts";
import type { DecodeLimits } from "./limits.ts";
import { findSequenceFault } from "./sequence.ts";

export { type Codec, CODECS, DEFAULT_LEVELS, isCodec } from "./codec.ts";
export {
  type Envelope,
  HEADER_LENGTH,
  MAGIC,
  MAX_NAME_LENGTH,
  WIRE_FORMAT_VERSION,
} from "./envelope.ts";
export { WIRE_ERROR_CODES, WireError, type WireErrorCode } from "./errors.ts";
export { type DecodeLimits, DEFAULT_DECODE_LIMITS } from "./limits.ts";

/** Options of {@linkcode encodeBatch}. */
export interface EncodeOptions {
  /** Body compression. @default "zstd" */
  codec?: Codec;
  /** Compression level: zstd 1..22, gzip 0..9; ignored for `none`. @default 3 for zstd, 6 for gzip */
  level?: number;
}

/** A decoded message: its envelope and the batch it carried. */
export interface DecodedBatch {
  /** The message's header. */
  envelope: Envelope;
  /** The rows, column by column; the columns own their memory (no views of the message). */
  batch: Batch;
}

/**
 * Encodes `batch` as one wire message.
 *
 * @example
 * ```ts
 * const bytes = encodeBatch(batch, { codec: "gzip" });
 * ```
 * @throws {TypeError} when a batch field or column has the wrong type.
 * @throws {RangeError} when a value is out of range (agent id, stream, seq
 * range, row count, column length, seq order, level). A bad batch is a bug in
 * the caller, never something to quarantine.
 */
export function encodeBatch(batch: Batch, options: EncodeOptions = {}): Uint8Array {
  const codec = options.codec ?? DEFAULT_CODEC;
  if (!isCodec(codec)) {
    throw new RangeError(`EncodeOptions.codec: got ${String(codec)}, expected none, gzip or zstd`);
  }
  checkBatch(batch);
  const raw = encodeArrowBody(batch);
  const body = compressBody(raw, codec, options.level);
  return assembleMessage(
    {
      codec,
      agent: batch.agent,
      stream: batch.stream,
      firstSeq: batch.firstSeq,
      lastSeq: batch.lastSeq,
      rowCount: batch.rowCount,
      rawBodyLength: raw.byteLength,
    },
    body,
  );
}

/**
 * Decodes and checks a whole message: header, checksum, decompression, Arrow
 * body, schema, row count, and the `seq` column (ascending, within the range).
 *
 * @throws {WireError} whatever is wrong with the bytes; never anything else
 * for bytes (a `RangeError` only for invalid `limits`).
 */
export function decodeBatch(bytes: Uint8Array, limits?: DecodeLimits): DecodedBatch {
  const { envelope, body } = readEnvelope(bytes, limits);
  const raw = decompressBody(body, envelope.codec, envelope.rawBodyLength);
  let columns;
  try {
    columns = decodeArrowBody(raw, envelope.stream, envelope.rowCount);
  } catch (error) {
    if (error instanceof WireError) throw error;
    // A bug of ours must not escape as a crash of the caller: the message is still unreadable.
    throw new WireError("corrupt_body", `body: unexpected decoder failure: ${String(error)}`, {
      cause: error,
    });
  }
  const fault = findSequenceFault(
    columns.seq as BigInt64Array,
    envelope.firstSeq,
    envelope.lastSeq,
  );
  if (fault !== undefined) throw new WireError("schema_mismatch", `body: ${fault}`);
  return {
    envelope,
    batch: {
      agent: envelope.agent,
      stream: envelope.stream,
      firstSeq: envelope.firstSeq,
      lastSeq: envelope.lastSeq,
      rowCount: envelope.rowCount,
      columns,
    },
  };
}

/**
 * Decodes and checks only the envelope, and the checksum over the whole
 * message, without decompressing or parsing the body: enough to learn the
 * idempotency key (agent, stream, firstSeq, lastSeq) cheaply.
 *
 * @throws {WireError} when the header, lengths or checksum are wrong.
 */
export function decodeEnvelope(bytes: Uint8Array, limits?: DecodeLimits): Envelope {
  return readEnvelope(bytes, limits).envelope;
}
