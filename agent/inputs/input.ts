/**
 * The input component interface: inputs produce records and hand them to the
 * buffer through their context.
 *
 * @module
 */
import type { Component, ComponentFactory } from "@tributary/shared/component";
import type { Logger } from "@tributary/shared/log";
import type { Kind, RowOf } from "@tributary/shared/records";

/** What the agent gives each input. */
export interface InputContext {
  /** The agent id. */
  readonly agent: string;
  /**
   * The input's stable id: `[[inputs]] id`, or `<type>#<index in [[inputs]]>`.
   * Its checkpoints are stored under it, so it must not change across restarts.
   */
  readonly id: string;
  /** A logger already labelled with the input. */
  readonly log: Logger;
  /**
   * Commits `rows` of `kind` to the buffer, and with them (same transaction)
   * the input's `checkpoint` if given. Resolves only after the buffer's
   * COMMIT: an input acknowledges its source only after this resolves.
   * Rejects with `PermanentError` (bad rows; nothing written) or
   * `RetryableError` (buffer busy or closed; nothing written).
   */
  write<K extends Kind>(
    kind: K,
    rows: readonly RowOf[K][],
    checkpoint?: Checkpoint,
  ): Promise<void>;
  /**
   * The position last committed under `name` by this input (by `write`), or
   * `undefined` when none: where to resume after a restart or a crash.
   * Rejects with `RetryableError` when the buffer cannot be read.
   */
  readCheckpoint(name: string): Promise<string | undefined>;
  /**
   * Counts `count` records this input refused from its source (malformed line,
   * out-of-range value, ...) under a short machine-readable `reason` such as
   * `bad_line` or `too_large`: `tributary_agent_input_rejected_total{input,type,reason}`.
   * Rows written through `write` are counted by the agent itself
   * (`tributary_agent_input_rows_total{input,type}`).
   */
  rejected(reason: string, count?: number): void;
  /**
   * Keeps `rows` aside in the buffer's `quarantine` table with `reason`
   * (not shipped; see agent/buffer/quarantine.ts). Used by the `range`
   * processor; absent where there is no buffer (then rows are only counted).
   */
  quarantine?<K extends Kind>(kind: K, rows: readonly RowOf[K][], reason: string): Promise<void>;
  /**
   * Counts `count` records this input kept but flagged as suspect (a price
   * outlier, a sequence gap, ...) under a short `flag`:
   * `tributary_agent_input_flagged_total{input,type,flag}`. Optional: absent
   * where nothing collects metrics.
   */
  flagged?(flag: string, count?: number): void;
}

/** A source position an input commits with its rows. */
export interface Checkpoint {
  /** Which of the input's positions (e.g. one per stream or per file). */
  name: string;
  /** The position after the rows written with it; only the input interprets it. */
  position: string;
}

/** A running input. `stop()` waits until no `write` of this input is in progress. */
export type Input = Component;

/** Creates inputs of one type from a validated config. */
export type InputFactory<Config, Instance extends Input = Input> = ComponentFactory<
  Config,
  InputContext,
  Instance
>;
