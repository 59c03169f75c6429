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
  /** A logger already labelled with the input. */
  readonly log: Logger;
  /**
   * Commits `rows` of `kind` to the buffer. Resolves only after the buffer's
   * COMMIT: an input acknowledges its source only after this resolves.
   * Rejects with `PermanentError` (bad rows; nothing written) or
   * `RetryableError` (buffer busy or closed; nothing written).
   */
  write<K extends Kind>(kind: K, rows: readonly RowOf[K][]): Promise<void>;
}

/** A running input. `stop()` waits until no `write` of this input is in progress. */
export type Input = Component;

/** Creates inputs of one type from a validated config. */
export type InputFactory<Config, Instance extends Input = Input> = ComponentFactory<
  Config,
  InputContext,
  Instance
>;
