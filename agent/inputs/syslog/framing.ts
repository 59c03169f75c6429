/**
 * Splits a syslog TCP stream into messages (RFC 6587), choosing the framing
 * per message as rsyslog and syslog-ng do: a message starting with a digit
 * is octet-counted (`LEN SP MSG`, RFC 5425/6587 section 3.4.1), anything else
 * runs to the next newline (non-transparent framing, section 3.4.2).
 *
 * Memory is bounded: a message longer than `maxBytes` is never held; it is
 * skipped (up to its counted end or its newline) and reported as `too_large`.
 *
 * @module
 */

/** One message (framing removed), or a skipped over-long one. */
export type Frame =
  | { kind: "message"; bytes: Uint8Array }
  | { kind: "too_large"; bytes: number };

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
/** Longest length prefix: 10 digits. */
const MAX_DIGITS = 10;

type State =
  | { at: "start" }
  | { at: "length"; digits: string }
  | { at: "counted"; remaining: number; parts: Uint8Array[]; total: number }
  | { at: "skip"; remaining: number; total: number }
  | { at: "line"; parts: Uint8Array[]; total: number; skipping: boolean };

/** A stateful decoder for one TCP connection. */
export class SyslogFrameDecoder {
  readonly #maxBytes: number;
  #state: State = { at: "start" };

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** True while a message is partly received. */
  get midMessage(): boolean {
    return this.#state.at !== "start";
  }

  /** Feeds received bytes; returns the messages they complete. */
  push(chunk: Uint8Array): Frame[] {
    const out: Frame[] = [];
    let i = 0;
    while (i < chunk.length) {
      const state = this.#state;
      switch (state.at) {
        case "start": {
          const b = chunk[i]!;
          if (b === LF || b === CR) {
            i++; // blank lines between messages
          } else if (b >= 0x30 && b <= 0x39) {
            this.#state = { at: "length", digits: "" };
          } else {
            this.#state = { at: "line", parts: [], total: 0, skipping: false };
          }
          break;
        }
        case "length": {
          const b = chunk[i]!;
          if (b >= 0x30 && b <= 0x39 && state.digits.length < MAX_DIGITS) {
            state.digits += String.fromCharCode(b);
            i++;
          } else if (b === SPACE && state.digits.length > 0) {
            i++;
            const length = Number(state.digits);
            this.#state = length > this.#maxBytes
              ? { at: "skip", remaining: length, total: length }
              : { at: "counted", remaining: length, parts: [], total: 0 };
            if (length === 0) this.#state = { at: "start" };
          } else {
            // Not a length prefix after all: a newline-framed message starting with digits.
            const prefix = new TextEncoder().encode(state.digits);
            this.#state = { at: "line", parts: [prefix], total: prefix.length, skipping: false };
          }
          break;
        }
        case "counted": {
          const take = Math.min(state.remaining, chunk.length - i);
          state.parts.push(chunk.slice(i, i + take));
          state.total += take;
          state.remaining -= take;
          i += take;
          if (state.remaining === 0) {
            out.push({ kind: "message", bytes: concat(state.parts, state.total) });
            this.#state = { at: "start" };
          }
          break;
        }
        case "skip": {
          const take = Math.min(state.remaining, chunk.length - i);
          state.remaining -= take;
          i += take;
          if (state.remaining === 0) {
            out.push({ kind: "too_large", bytes: state.total });
            this.#state = { at: "start" };
          }
          break;
        }
        case "line": {
          const nl = chunk.indexOf(LF, i);
          const stop = nl === -1 ? chunk.length : nl;
          const piece = chunk.subarray(i, stop);
          if (!state.skipping && state.total + piece.length > this.#maxBytes) {
            state.skipping = true;
            state.parts = [];
          }
          if (!state.skipping && piece.length > 0) state.parts.push(piece.slice());
          state.total += piece.length;
          i = stop;
          if (nl !== -1) {
            i++;
            out.push(this.#endLine(state));
          }
          break;
        }
      }
    }
    return out;
  }

  /** The connection closed: a newline-framed message without its newline still counts. */
  end(): Frame[] {
    const state = this.#state;
    this.#state = { at: "start" };
    if (state.at === "line") return [this.#endLine(state)];
    if (state.at === "length") {
      return [{ kind: "message", bytes: new TextEncoder().encode(state.digits) }];
    }
    // A counted message cut short is incomplete: dropped (the sender did not finish it).
    return [];
  }

  #endLine(state: Extract<State, { at: "line" }>): Frame {
    this.#state = { at: "start" };
    if (state.skipping) return { kind: "too_large", bytes: state.total };
    let bytes = concat(state.parts, state.total);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
    return { kind: "message", bytes };
  }
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
