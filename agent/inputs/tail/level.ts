/**
 * Guesses a log line's level from its text, for `level = "auto"`: an
 * upper-case level word (`ERROR`, `WARN`, `[INFO]`, ...) or a `level=...` /
 * `"level":"..."` field near the start of the line. Lower-case words in prose
 * ("no error found") are not taken as levels.
 *
 * @module
 */
import type { LogLevel } from "@tributary/shared/records";

/** How far into a line a level is looked for. */
const SCAN_CHARS = 200;

const WORD =
  /\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERR|ERROR|CRIT|CRITICAL|ALERT|EMERG|FATAL|PANIC)\b/;
const FIELD = /\b(?:level|lvl|severity)"?\s*[=:]\s*"?([a-z]+)/i;

const LEVEL_OF: Readonly<Record<string, LogLevel>> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  notice: "info",
  warn: "warn",
  warning: "warn",
  err: "error",
  error: "error",
  crit: "fatal",
  critical: "fatal",
  alert: "fatal",
  emerg: "fatal",
  fatal: "fatal",
  panic: "fatal",
};

/**
 * The level named in `text`, or `fallback` when none is found.
 *
 * @example
 * ```ts
 * detectLevel("2024-01-01 12:00:00 ERROR db down", "info"); // "error"
 * detectLevel('{"level":"warn","msg":"slow"}', "info"); // "warn"
 * detectLevel("no error found", "info"); // "info"
 * ```
 */
export function detectLevel(text: string, fallback: LogLevel): LogLevel {
  const head = text.length > SCAN_CHARS ? text.slice(0, SCAN_CHARS) : text;
  const field = FIELD.exec(head);
  const fromField = field ? LEVEL_OF[field[1]!.toLowerCase()] : undefined;
  if (fromField) return fromField;
  const word = WORD.exec(head);
  return word ? LEVEL_OF[word[1]!.toLowerCase()] ?? fallback : fallback;
}
