/**
 * An {@linkcode InputContext} backed by a real {@linkcode AgentBuffer}, for
 * input integration tests and benches: `write` resolves only after the
 * buffer's COMMIT, exactly as in the agent; rejections are recorded.
 *
 * @module
 */
import { createLogger } from "@tributary/shared/log";
import type { Kind, RowOf } from "@tributary/shared/records";
import type { AgentBuffer } from "../../buffer/mod.ts";
import type { Checkpoint, InputContext } from "../input.ts";

/** A buffer-backed context and what it counted. */
export interface BufferContext extends InputContext {
  /** Rejected record counts by reason. */
  readonly rejections: Map<string, number>;
  /** Rows committed through this context, per kind. */
  readonly committed: Map<Kind, number>;
}

/** Creates a context writing to `buffer` as input `id`. */
export function bufferContext(buffer: AgentBuffer, id = "test#0"): BufferContext {
  const ctx: BufferContext = {
    agent: "edge-1",
    id,
    log: createLogger({ level: "error" }),
    rejections: new Map(),
    committed: new Map(),
    async write<K extends Kind>(kind: K, rows: readonly RowOf[K][], checkpoint?: Checkpoint) {
      await buffer.append(kind, rows, { checkpoint: checkpoint && { input: id, ...checkpoint } });
      ctx.committed.set(kind, (ctx.committed.get(kind) ?? 0) + rows.length);
    },
    readCheckpoint: (name) => buffer.readCheckpoint(id, name),
    quarantine: (kind, rows, reason) => buffer.quarantine(id, kind, rows, reason),
    rejected(reason, count = 1) {
      ctx.rejections.set(reason, (ctx.rejections.get(reason) ?? 0) + count);
    },
  };
  return ctx;
}
