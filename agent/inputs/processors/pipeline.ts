/**
 * Applies an input's `processors` in one place: the registry wraps the
 * input's context, so every input gets them without code of its own. Only
 * `readings` pass through the steps; other kinds are written unchanged.
 *
 * Order per write: run the steps, write the kept rows (with the checkpoint,
 * even when no row is left), then, only once that committed, update step
 * state, store quarantined rows (`ctx.quarantine`) and count drops by reason.
 * A write that fails changes nothing, so its retry decides the same way.
 *
 * @module
 */
import type { Kind, Reading, RowOf } from "@tributary/shared/records";
import type { Checkpoint, InputContext } from "../input.ts";
import { createProcessors, type ProcessorConfig } from "./config.ts";

/** `ctx` with `configs` applied to its writes; `ctx` itself when there are none. */
export function withProcessors(
  ctx: InputContext,
  configs: readonly ProcessorConfig[],
): InputContext {
  if (configs.length === 0) return ctx;
  const steps = createProcessors(configs);
  return {
    agent: ctx.agent,
    id: ctx.id,
    log: ctx.log,
    readCheckpoint: (name) => ctx.readCheckpoint(name),
    rejected: (reason, count) => ctx.rejected(reason, count),
    quarantine: ctx.quarantine && ((kind, rows, reason) => ctx.quarantine!(kind, rows, reason)),
    // Flags (sequence gaps, outliers) of trades and quotes pass straight through.
    flagged: ctx.flagged && ((flag, count) => ctx.flagged!(flag, count)),
    async write<K extends Kind>(
      kind: K,
      rows: readonly RowOf[K][],
      checkpoint?: Checkpoint,
    ): Promise<void> {
      if (kind !== "readings") return ctx.write(kind, rows, checkpoint);
      let current = rows as readonly Reading[] as Reading[];
      const commits: (() => void)[] = [];
      const dropped = new Map<string, number>();
      const quarantined = new Map<string, Reading[]>();
      for (const step of steps) {
        const result = step.process(current);
        current = result.rows;
        if (result.commit) commits.push(result.commit);
        for (const [reason, n] of result.dropped ?? []) {
          dropped.set(reason, (dropped.get(reason) ?? 0) + n);
        }
        for (const [reason, list] of result.quarantine ?? []) {
          quarantined.set(reason, [...(quarantined.get(reason) ?? []), ...list]);
        }
      }
      if (current.length > 0 || checkpoint !== undefined) {
        await ctx.write(kind, current as RowOf[K][], checkpoint);
      }
      for (const commit of commits) commit();
      for (const [reason, list] of quarantined) {
        ctx.rejected(reason, list.length);
        if (!ctx.quarantine) continue;
        try {
          await ctx.quarantine("readings", list, reason);
        } catch (error) {
          ctx.log.error("cannot store quarantined rows", { error, reason, rows: list.length });
        }
      }
      for (const [reason, n] of dropped) ctx.rejected(reason, n);
    },
  };
}
