/**
 * Gap detection by sequence number: per key (a symbol, or one key for the
 * whole stream), each number should be the previous one plus one. A jump is a
 * gap (counted, with how many numbers are missing; the row is kept); a number
 * not above the previous one is either a repeat or a restart of the numbering:
 *
 * - a **repeat** (e.g. a feed replaying after a reconnect) carries an event
 *   time no later than the newest seen for the key — a replayed message keeps
 *   its original time — and the caller rejects the row as `duplicate_sequence`;
 * - a **reset** carries a newer event time: the feed numbers from scratch
 *   (Polygon's sequence numbers restart every day; a feed server restarted).
 *   The row is kept and the numbering followed from it; without this rule a
 *   long-running agent would reject every row of the next day as a repeat.
 *
 * The state survives reconnects — messages lost while disconnected show up
 * as a gap on the first message after the resubscribe — but not restarts.
 *
 * @module
 */

/** What one sequence number means. */
export type SequenceVerdict = "next" | "first" | "gap" | "duplicate" | "reset";

interface KeyState {
  seq: number;
  /** The newest event time seen for the key, ns. */
  maxTs: bigint;
}

/** Tracks the last sequence number per key. */
export class SequenceTracker {
  /** Gaps seen. */
  gaps = 0;
  /** Sequence numbers skipped over by those gaps. */
  missing = 0;
  /** Restarts of the numbering seen. */
  resets = 0;
  readonly #last = new Map<string, KeyState>();

  /**
   * Classifies `seq` of a row with event time `ts` (ns) for `key`,
   * remembering it unless it is a duplicate.
   */
  check(key: string, seq: number, ts: bigint): SequenceVerdict {
    const last = this.#last.get(key);
    if (last === undefined) {
      this.#last.set(key, { seq, maxTs: ts });
      return "first";
    }
    if (seq <= last.seq) {
      if (ts <= last.maxTs) return "duplicate";
      this.resets++;
      this.#last.set(key, { seq, maxTs: ts });
      return "reset";
    }
    this.#last.set(key, { seq, maxTs: ts > last.maxTs ? ts : last.maxTs });
    if (seq === last.seq + 1) return "next";
    this.gaps++;
    this.missing += seq - last.seq - 1;
    return "gap";
  }
}
