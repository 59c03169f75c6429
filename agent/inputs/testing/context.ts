/**
 * An in-memory {@linkcode InputContext} for input unit tests: it keeps what
 * the input wrote, the checkpoints committed with it and what it rejected, so
 * a test can assert on them without a DuckDB buffer.
 *
 * @module
 */
import { createLogger } from "@tributary/shared/log";
import type { Kind, RowOf } from "@tributary/shared/records";
import type { Checkpoint, InputContext } from "../input.ts";

/** A recording input context and what it recorded. */
export interface RecordingContext extends InputContext {
  /** Rows written, per kind, in write order. */
  readonly rows: { [K in Kind]: RowOf[K][] };
  /** The latest committed position per checkpoint name. */
  readonly checkpoints: Map<string, string>;
  /** Rejected record counts by reason. */
  readonly rejections: Map<string, number>;
  /** Kept-but-flagged record counts by flag (`ctx.flagged`). */
  readonly flags: Map<string, number>;
  /**
   * When set, the next writes reject with this error (nothing recorded), e.g.
   * a `RetryableError` to play a full buffer under the `block` policy.
   */
  failWrites: Error | undefined;
}

/** Options of {@linkcode recordingContext}. */
export interface RecordingContextOptions {
  /** @default "edge-1" */
  agent?: string;
  /** @default "test#0" */
  id?: string;
  /** Checkpoints present at start, as after a restart. */
  checkpoints?: Record<string, string>;
}

/** Creates a context that records instead of buffering. */
export function recordingContext(options: RecordingContextOptions = {}): RecordingContext {
  const ctx: RecordingContext = {
    agent: options.agent ?? "edge-1",
    id: options.id ?? "test#0",
    log: createLogger({ level: "error" }),
    rows: { readings: [], logs: [], trades: [], quotes: [] },
    checkpoints: new Map(Object.entries(options.checkpoints ?? {})),
    rejections: new Map(),
    flags: new Map(),
    failWrites: undefined,
    write<K extends Kind>(kind: K, rows: readonly RowOf[K][], checkpoint?: Checkpoint) {
      if (ctx.failWrites) return Promise.reject(ctx.failWrites);
      (ctx.rows[kind] as RowOf[K][]).push(...rows);
      if (checkpoint) ctx.checkpoints.set(checkpoint.name, checkpoint.position);
      return Promise.resolve();
    },
    readCheckpoint: (name) => Promise.resolve(ctx.checkpoints.get(name)),
    rejected(reason, count = 1) {
      ctx.rejections.set(reason, (ctx.rejections.get(reason) ?? 0) + count);
    },
    flagged(flag, count = 1) {
      ctx.flags.set(flag, (ctx.flags.get(flag) ?? 0) + count);
    },
  };
  return ctx;
}
