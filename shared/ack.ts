/**
 * The hub's end-to-end acknowledgement of one batch, published (QoS 1) to
 * `tributary/v1/<agent>/ack` after the batch is committed or quarantined.
 * A small versioned JSON document; sequence numbers are decimal strings
 * because they are u64. See docs/wire-format.md, "Acknowledgements".
 *
 * @example
 * ```ts
 * const bytes = encodeAck({ stream: "readings", firstSeq: 1n, lastSeq: 500n, outcome: "inserted" });
 * const ack = parseAck(bytes); // throws PermanentError("bad_ack") on anything else
 * ```
 *
 * @module
 */
import { PermanentError } from "./errors.ts";
import { isKind, type Kind } from "./records.ts";

/** Version of the ack document (`v`). */
export const ACK_VERSION = 1;

/** Largest ack payload accepted, in bytes. */
export const MAX_ACK_BYTES = 1024;

/** What became of the batch at the hub. */
export type AckOutcome = "inserted" | "partial" | "duplicate" | "rejected";

/** The outcomes an ack may carry. */
export const ACK_OUTCOMES: readonly AckOutcome[] = ["inserted", "partial", "duplicate", "rejected"];

/** One acknowledgement. */
export interface HubAck {
  stream: Kind;
  firstSeq: bigint;
  lastSeq: bigint;
  outcome: AckOutcome;
  /** Why a batch was rejected (quarantine reason), only with outcome `rejected`. */
  reason?: string;
}

const U64_MAX = (1n << 64n) - 1n;
const SEQ_PATTERN = /^(0|[1-9][0-9]{0,19})$/;
const REASON_PATTERN = /^[a-z0-9_]{1,64}$/;

/** Encodes an ack as its JSON payload. */
export function encodeAck(ack: HubAck): Uint8Array {
  const doc: Record<string, unknown> = {
    v: ACK_VERSION,
    stream: ack.stream,
    first_seq: ack.firstSeq.toString(),
    last_seq: ack.lastSeq.toString(),
    outcome: ack.outcome,
  };
  if (ack.outcome === "rejected") doc.reason = ackReason(ack.reason);
  return new TextEncoder().encode(JSON.stringify(doc));
}

/**
 * Parses an ack payload, treating every byte as hostile. Unknown fields are
 * ignored (later minor additions); another `v` is refused.
 *
 * @throws {PermanentError} reason `bad_ack`, naming the rule broken.
 */
export function parseAck(payload: Uint8Array): HubAck {
  if (!(payload instanceof Uint8Array)) throw bad("payload is not bytes");
  if (payload.byteLength > MAX_ACK_BYTES) {
    throw bad(`${payload.byteLength} bytes, at most ${MAX_ACK_BYTES}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    throw bad("not UTF-8 JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw bad("not a JSON object");
  }
  const o = doc as Record<string, unknown>;
  if (o.v !== ACK_VERSION) throw bad(`v: expected ${ACK_VERSION}`);
  if (!isKind(o.stream)) throw bad("stream: not a known stream");
  const firstSeq = readSeq(o.first_seq, "first_seq");
  const lastSeq = readSeq(o.last_seq, "last_seq");
  if (firstSeq > lastSeq) throw bad("first_seq > last_seq");
  const outcome = o.outcome;
  if (typeof outcome !== "string" || !(ACK_OUTCOMES as readonly string[]).includes(outcome)) {
    throw bad("outcome: not a known outcome");
  }
  const ack: HubAck = { stream: o.stream, firstSeq, lastSeq, outcome: outcome as AckOutcome };
  if (outcome === "rejected") {
    if (typeof o.reason !== "string" || !REASON_PATTERN.test(o.reason)) {
      throw bad("reason: expected 1 to 64 of [a-z0-9_]");
    }
    ack.reason = o.reason;
  }
  return ack;
}

/** A reason as an ack may carry it: `[a-z0-9_]`, 1 to 64 characters. */
export function ackReason(reason: string | undefined): string {
  const clean = (reason ?? "").toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 64);
  return clean === "" ? "rejected" : clean;
}

function readSeq(value: unknown, field: string): bigint {
  if (typeof value !== "string" || !SEQ_PATTERN.test(value)) {
    throw bad(`${field}: expected a decimal string`);
  }
  const seq = BigInt(value);
  if (seq > U64_MAX) throw bad(`${field}: above u64`);
  return seq;
}

function bad(detail: string): PermanentError {
  return new PermanentError("bad_ack", `hub ack: ${detail}`);
}
