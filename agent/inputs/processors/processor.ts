/**
 * The processor interface: a step between an input and the buffer that sees
 * each batch of readings an input writes, and keeps, changes or drops rows.
 *
 * A step returns the rows to pass on and, optionally, what it dropped (with a
 * reason, counted in `tributary_agent_input_rejected_total`), what to
 * quarantine, and a `commit` callback run only after the buffer committed the
 * batch: stateful steps (deadband) update their state there, so a write that
 * fails and is retried with the same rows sees the same decisions.
 *
 * @module
 */
import type { Reading } from "@tributary/shared/records";

/** What one step did to one batch. */
export interface StepResult {
  rows: Reading[];
  /** Rows dropped on purpose, by reason (e.g. `filtered`, `deadband`). */
  dropped?: Map<string, number>;
  /** Rows to keep aside in the quarantine table, by reason. */
  quarantine?: Map<string, Reading[]>;
  /** Runs after the batch was committed. */
  commit?: () => void;
}

/** One configured processor. */
export interface Processor {
  readonly type: string;
  process(rows: Reading[]): StepResult;
}

/** `*` and `?` glob → RegExp matching the whole text. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll(
    "?",
    ".",
  );
  return new RegExp(`^${escaped}$`);
}

/** A matcher for a list of globs; an empty list matches everything when `emptyMatchesAll`. */
export function globsMatcher(globs: readonly string[], emptyMatchesAll: boolean) {
  const res = globs.map(globToRegExp);
  return (text: string) => res.length === 0 ? emptyMatchesAll : res.some((re) => re.test(text));
}
