/**
 * The envelope of a wire message: a fixed 40-byte header, the agent id and
 * stream name, then the (compressed) Arrow body. All integers are big-endian.
 *
 * ```
 * off  size  field
 * 0    4     magic "TRIB"
 * 4    1     format version (1)
 * 5    1     codec: 0 none, 1 gzip, 2 zstd
 * 6    1     agent id length A (1..64)
 * 7    1     stream length S (1..64)
 * 8    8     first_seq (u64)
 * 16   8     last_seq (u64), >= first_seq
 * 24   4     row count (u32), 1..(last_seq - first_seq + 1)
 * 28   4     body length (u32), bytes of body after the header
 * 32   4     raw body length (u32), Arrow IPC bytes before compression
 * 36   4     CRC-32 over bytes [0, 36) ++ bytes [40, end)
 * 40   A     agent id (ASCII)
 * 40+A S     stream (ASCII)
 * ...  body
 * ```
 *
 * @module
 */
import { crc32 } from "node:zlib";
import { AGENT_ID_RULE, isAgentId } from "../ids.ts";
import { isKind, type Kind, KINDS } from "../records.ts";
import { type Codec, codecFromId, codecId, CODECS } from "./codec.ts";
import { WireError } from "./errors.ts";
import { type DecodeLimits, resolveDecodeLimits } from "./limits.ts";

/** The format version this code writes, and the only one it reads. */
export const WIRE_FORMAT_VERSION = 1;

/** First four bytes of every message: `TRIB` (0x54 0x52 0x49 0x42). */
export const MAGIC = "TRIB";

/** Length of the fixed part of the header, before agent id and stream. */
export const HEADER_LENGTH = 40;

/** Where the CRC-32 sits; the checksum covers everything except these 4 bytes. */
export const CHECKSUM_OFFSET = 36;

/** Longest agent id or stream name the header can carry. */
export const MAX_NAME_LENGTH = 64;

/** The decoded header of one message. */
export interface Envelope {
  /** Format version, always {@linkcode WIRE_FORMAT_VERSION} once decoded. */
  version: number;
  /** How the body is compressed. */
  codec: Codec;
  /** The sending agent's id. */
  agent: string;
  /** The stream (record kind) of every row. */
  stream: Kind;
  /** First sequence number of the range the batch covers (u64). */
  firstSeq: bigint;
  /** Last sequence number of the range (u64); (agent, stream, firstSeq, lastSeq) is the idempotency key. */
  lastSeq: bigint;
  /** Rows in the body, at most lastSeq - firstSeq + 1 (gaps are allowed). */
  rowCount: number;
  /** Bytes of body on the wire (after compression). */
  bodyLength: number;
  /** Bytes of the Arrow IPC stream before compression. */
  rawBodyLength: number;
  /** CRC-32 (IEEE, as zlib computes it) over the whole message except the checksum field. */
  checksum: number;
}

/** What the encoder knows before it assembles a message. */
export interface EnvelopeFields {
  codec: Codec;
  agent: string;
  stream: Kind;
  firstSeq: bigint;
  lastSeq: bigint;
  rowCount: number;
  rawBodyLength: number;
}

/**
 * Assembles a whole message: header, agent id, stream and `body`, with the
 * checksum filled in. The fields are assumed valid (see `checkBatch`).
 *
 * @throws {RangeError} when the body or raw body is longer than a u32 can say.
 */
export function assembleMessage(fields: EnvelopeFields, body: Uint8Array): Uint8Array {
  for (const [name, length] of [["body", body.byteLength], ["raw body", fields.rawBodyLength]]) {
    if ((length as number) > 0xFFFF_FFFF) {
      throw new RangeError(`${name}: ${length} bytes, the wire format allows at most 2^32 - 1`);
    }
  }
  const agent = asciiBytes(fields.agent);
  const stream = asciiBytes(fields.stream);
  const message = new Uint8Array(HEADER_LENGTH + agent.length + stream.length + body.byteLength);
  const view = new DataView(message.buffer);
  message.set(asciiBytes(MAGIC), 0);
  view.setUint8(4, WIRE_FORMAT_VERSION);
  view.setUint8(5, codecId(fields.codec));
  view.setUint8(6, agent.length);
  view.setUint8(7, stream.length);
  view.setBigUint64(8, fields.firstSeq);
  view.setBigUint64(16, fields.lastSeq);
  view.setUint32(24, fields.rowCount);
  view.setUint32(28, body.byteLength);
  view.setUint32(32, fields.rawBodyLength);
  message.set(agent, HEADER_LENGTH);
  message.set(stream, HEADER_LENGTH + agent.length);
  message.set(body, HEADER_LENGTH + agent.length + stream.length);
  view.setUint32(CHECKSUM_OFFSET, checksumOf(message));
  return message;
}

/** The CRC-32 of `message`: bytes [0, 36) then [40, end), skipping the checksum field. */
export function checksumOf(message: Uint8Array): number {
  const head = crc32(message.subarray(0, CHECKSUM_OFFSET));
  return crc32(message.subarray(HEADER_LENGTH), head) >>> 0;
}

/**
 * Rewrites the checksum field of `message` in place to match its bytes, and
 * returns it. For tests and fuzzing: it makes an edited message pass the
 * checksum so the checks behind it are exercised. Messages shorter than the
 * header are returned unchanged.
 */
export function resealMessage(message: Uint8Array): Uint8Array {
  if (message.byteLength < HEADER_LENGTH) return message;
  new DataView(message.buffer, message.byteOffset, message.byteLength)
    .setUint32(CHECKSUM_OFFSET, checksumOf(message));
  return message;
}

/** A decoded envelope and the body bytes it frames (a view of the message). */
export interface FramedBody {
  /** The checked header. */
  envelope: Envelope;
  /** The body bytes, still compressed; a view of the message. */
  body: Uint8Array;
}

/**
 * Reads and checks the header of `bytes`, then the checksum of the whole
 * message. Nothing is decompressed or parsed.
 *
 * Checks, in order: message size limit, magic, fixed header length, version,
 * codec, name lengths, sequence range, row count, body lengths and their
 * limits, exact total length, agent id and stream, checksum.
 *
 * @throws {WireError} on the first rule broken.
 * @throws {TypeError} when `bytes` is not a Uint8Array.
 */
export function readEnvelope(bytes: Uint8Array, limits?: DecodeLimits): FramedBody {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`bytes: got ${typeof bytes}, expected a Uint8Array`);
  }
  const { maxMessageBytes, maxRawBodyBytes, maxRows } = resolveDecodeLimits(limits);
  if (bytes.byteLength > maxMessageBytes) {
    throw new WireError(
      "oversized",
      `message: ${bytes.byteLength} bytes, limit maxMessageBytes is ${maxMessageBytes}`,
    );
  }
  for (let i = 0; i < MAGIC.length && i < bytes.byteLength; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) {
      throw new WireError(
        "bad_magic",
        `magic: got ${hex(bytes.subarray(0, 4))}, expected 54524942 ("TRIB")`,
      );
    }
  }
  if (bytes.byteLength < HEADER_LENGTH) {
    throw new WireError(
      "truncated",
      `message: ${bytes.byteLength} bytes, shorter than the ${HEADER_LENGTH}-byte header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(4);
  if (version !== WIRE_FORMAT_VERSION) {
    throw new WireError(
      "unknown_version",
      `version: got ${version}, this decoder reads only ${WIRE_FORMAT_VERSION}`,
    );
  }
  const codecIdSeen = view.getUint8(5);
  const codec = codecFromId(codecIdSeen);
  if (codec === undefined) {
    throw new WireError(
      "unknown_codec",
      `codec: got id ${codecIdSeen}, expected ${CODECS.map((c, i) => `${i} (${c})`).join(", ")}`,
    );
  }
  const agentLength = view.getUint8(6);
  const streamLength = view.getUint8(7);
  for (const [name, length] of [["agent id", agentLength], ["stream", streamLength]] as const) {
    if (length < 1 || length > MAX_NAME_LENGTH) {
      throw badHeader(`${name} length: got ${length}, expected 1..${MAX_NAME_LENGTH}`);
    }
  }
  const firstSeq = view.getBigUint64(8);
  const lastSeq = view.getBigUint64(16);
  if (lastSeq < firstSeq) {
    throw badHeader(`last_seq: got ${lastSeq}, expected at least first_seq ${firstSeq}`);
  }
  const rowCount = view.getUint32(24);
  if (rowCount < 1) throw badHeader(`row count: got 0, expected at least 1`);
  if (rowCount > maxRows) {
    throw new WireError("oversized", `row count: ${rowCount}, limit maxRows is ${maxRows}`);
  }
  if (BigInt(rowCount) > lastSeq - firstSeq + 1n) {
    throw badHeader(
      `row count: got ${rowCount}, more than the ${
        lastSeq - firstSeq + 1n
      } sequence numbers ${firstSeq}..${lastSeq}`,
    );
  }
  const bodyLength = view.getUint32(28);
  const rawBodyLength = view.getUint32(32);
  if (rawBodyLength < 1) throw badHeader(`raw body length: got 0, expected at least 1`);
  if (rawBodyLength > maxRawBodyBytes) {
    throw new WireError(
      "oversized",
      `raw body length: ${rawBodyLength} bytes, limit maxRawBodyBytes is ${maxRawBodyBytes}`,
    );
  }
  if (bodyLength < 1) throw badHeader(`body length: got 0, expected at least 1`);
  if (codec === "none" && bodyLength !== rawBodyLength) {
    throw badHeader(
      `body length: got ${bodyLength}, codec none requires it to equal raw body length ${rawBodyLength}`,
    );
  }
  const total = HEADER_LENGTH + agentLength + streamLength + bodyLength;
  if (total > maxMessageBytes) {
    throw new WireError(
      "oversized",
      `message: header declares ${total} bytes, limit maxMessageBytes is ${maxMessageBytes}`,
    );
  }
  if (bytes.byteLength < total) {
    throw new WireError(
      "truncated",
      `message: ${bytes.byteLength} bytes, header declares ${total}`,
    );
  }
  if (bytes.byteLength > total) {
    throw badHeader(
      `message: ${bytes.byteLength} bytes, header declares ${total} (${
        bytes.byteLength - total
      } trailing bytes)`,
    );
  }
  const agent = asciiText(bytes.subarray(HEADER_LENGTH, HEADER_LENGTH + agentLength));
  if (!isAgentId(agent)) {
    throw badHeader(`agent id: got ${JSON.stringify(agent)}, expected ${AGENT_ID_RULE}`);
  }
  const streamStart = HEADER_LENGTH + agentLength;
  const stream = asciiText(bytes.subarray(streamStart, streamStart + streamLength));
  if (!isKind(stream)) {
    throw badHeader(`stream: got ${JSON.stringify(stream)}, expected one of ${KINDS}`);
  }
  const checksum = view.getUint32(CHECKSUM_OFFSET);
  const computed = checksumOf(bytes);
  if (checksum !== computed) {
    throw new WireError(
      "checksum_mismatch",
      `checksum: header says ${hex32(checksum)}, bytes give ${hex32(computed)}`,
    );
  }
  return {
    envelope: {
      version,
      codec,
      agent,
      stream,
      firstSeq,
      lastSeq,
      rowCount,
      bodyLength,
      rawBodyLength,
      checksum,
    },
    body: bytes.subarray(total - bodyLength, total),
  };
}

function badHeader(message: string): WireError {
  return new WireError("bad_header", message);
}

/** Agent ids and stream names are ASCII by rule, so each char is one byte. */
function asciiBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Bytes as Latin-1 text: any byte over 0x7F then fails the ASCII-only id and stream rules. */
function asciiText(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}
