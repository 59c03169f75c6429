/**
 * The agent's heartbeat: a small versioned JSON document published every
 * `[agent] heartbeat_interval_s` (QoS 0) to `tributary/v1/<agent>/heartbeat`,
 * with the agent's version, uptime and, per stream, its backlog and drops.
 * See docs/wire-format.md, "Heartbeats".
 *
 * @example
 * ```ts
 * const bytes = encodeHeartbeat({
 *   agent: "edge-1", version: "0.1.0", sentAt: new Date(), uptimeS: 12.5,
 *   streams: { readings: { backlog_rows: 10, backlog_bytes: 640, oldest_unsent_age_s: 0.2, dropped: {} } },
 * });
 * const hb = parseHeartbeat(bytes); // throws PermanentError("bad_heartbeat") on anything else
 * ```
 *
 * @module
 */
import { PermanentError } from "./errors.ts";
import { AGENT_ID_RULE, isAgentId } from "./ids.ts";
import { isKind, type Kind } from "./records.ts";

/** Version of the heartbeat document (`v`). */
export const HEARTBEAT_VERSION = 1;

/** Largest heartbeat payload accepted, in bytes. */
export const MAX_HEARTBEAT_BYTES = 16 * 1024;

/** Most drop reasons accepted per stream. */
export const MAX_DROP_REASONS = 32;

/** Figures of one stream in a heartbeat. */
export interface HeartbeatStream {
  /** Rows buffered and not yet acknowledged. */
  backlog_rows: number;
  /** Approximate bytes of those rows. */
  backlog_bytes: number;
  /** Age of the oldest unacknowledged row, in seconds (0 when none). */
  oldest_unsent_age_s: number;
  /** Rows dropped since the agent started (or since the buffer was created, when the buffer counts them), by reason. */
  dropped: Record<string, number>;
}

/** One heartbeat. */
export interface Heartbeat {
  agent: string;
  /** The agent's release (`shared/version.ts`). */
  version: string;
  sentAt: Date;
  /** Seconds since the agent process started. */
  uptimeS: number;
  streams: Partial<Record<Kind, HeartbeatStream>>;
}

const VERSION_PATTERN = /^[0-9A-Za-z.+_-]{1,32}$/;
const REASON_PATTERN = /^[a-z0-9_]{1,64}$/;

/** Encodes a heartbeat as its JSON payload. */
export function encodeHeartbeat(hb: Heartbeat): Uint8Array {
  const doc = {
    v: HEARTBEAT_VERSION,
    agent: hb.agent,
    version: hb.version,
    sent_at: hb.sentAt.toISOString(),
    uptime_s: hb.uptimeS,
    streams: hb.streams,
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/**
 * Parses a heartbeat payload, treating every byte as hostile. Unknown fields
 * and unknown streams are ignored (later minor additions); another `v` is
 * refused. `dropped` may be missing (counted as none).
 *
 * @throws {PermanentError} reason `bad_heartbeat`, naming the rule broken.
 */
export function parseHeartbeat(payload: Uint8Array): Heartbeat {
  if (!(payload instanceof Uint8Array)) throw bad("payload is not bytes");
  if (payload.byteLength > MAX_HEARTBEAT_BYTES) {
    throw bad(`${payload.byteLength} bytes, at most ${MAX_HEARTBEAT_BYTES}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    throw bad("not UTF-8 JSON");
  }
  const o = readObject(doc, "document");
  if (o.v !== HEARTBEAT_VERSION) throw bad(`v: expected ${HEARTBEAT_VERSION}`);
  if (!isAgentId(o.agent)) throw bad(`agent: expected ${AGENT_ID_RULE}`);
  if (typeof o.version !== "string" || !VERSION_PATTERN.test(o.version)) {
    throw bad("version: expected 1 to 32 of [0-9A-Za-z.+_-]");
  }
  if (typeof o.sent_at !== "string" || o.sent_at.length > 40) {
    throw bad("sent_at: expected an ISO-8601 string");
  }
  const sentAt = new Date(o.sent_at);
  if (Number.isNaN(sentAt.getTime())) throw bad("sent_at: expected an ISO-8601 string");
  const uptimeS = readNumber(o.uptime_s, "uptime_s");
  const streams: Partial<Record<Kind, HeartbeatStream>> = {};
  for (const [name, raw] of Object.entries(readObject(o.streams, "streams"))) {
    if (!isKind(name)) continue;
    const s = readObject(raw, `streams.${name}`);
    const dropped: Record<string, number> = {};
    if (s.dropped !== undefined) {
      const entries = Object.entries(readObject(s.dropped, `streams.${name}.dropped`));
      if (entries.length > MAX_DROP_REASONS) {
        throw bad(`streams.${name}.dropped: more than ${MAX_DROP_REASONS} reasons`);
      }
      for (const [reason, count] of entries) {
        if (!REASON_PATTERN.test(reason)) {
          throw bad(
            `streams.${name}.dropped: reason ${
              JSON.stringify(reason.slice(0, 70))
            } is not [a-z0-9_]{1,64}`,
          );
        }
        dropped[reason] = readCount(count, `streams.${name}.dropped.${reason}`);
      }
    }
    streams[name] = {
      backlog_rows: readCount(s.backlog_rows, `streams.${name}.backlog_rows`),
      backlog_bytes: readCount(s.backlog_bytes, `streams.${name}.backlog_bytes`),
      oldest_unsent_age_s: readNumber(s.oldest_unsent_age_s, `streams.${name}.oldest_unsent_age_s`),
      dropped,
    };
  }
  return { agent: o.agent, version: o.version, sentAt, uptimeS, streams };
}

function readObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw bad(`${field}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A finite number ≥ 0. */
function readNumber(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw bad(`${field}: expected a number >= 0`);
  }
  return value;
}

/** An integer from 0 to 2^53 - 1. */
function readCount(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw bad(`${field}: expected an integer from 0 to 2^53-1`);
  }
  return value as number;
}

function bad(detail: string): PermanentError {
  return new PermanentError("bad_heartbeat", `heartbeat: ${detail}`);
}
