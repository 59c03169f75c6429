/**
 * Structured JSON logs: one object per line on stderr, so stdout stays free for
 * a command's own output (`agent status`, `agent query`).
 *
 * @module
 */

/** Log levels, least to most severe. */
export const LEVELS = ["debug", "info", "warn", "error"] as const;
/** One log level. */
export type Level = typeof LEVELS[number];

/** Where log lines go; defaults to stderr. Tests pass an array-backed sink. */
export type LogSink = (line: string) => void;

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lines below this level are not written. @default "info" */
  level?: Level;
  /** Fields added to every line, e.g. `{ component: "hub" }`. */
  fields?: Record<string, unknown>;
  /** Receives each line without its newline. @default writes to stderr */
  sink?: LogSink;
}

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger;
}

const encoder = new TextEncoder();

function stderrSink(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/**
 * Creates a logger writing JSON lines: `{"time":..., "level":..., "msg":..., ...fields}`.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: "debug", fields: { component: "agent" } });
 * log.info("started", { port: 8081 });
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LEVELS.indexOf(options.level ?? "info");
  const sink = options.sink ?? stderrSink;
  const base = options.fields ?? {};
  const write = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < threshold) return;
    const record = { time: new Date().toISOString(), level, msg, ...base, ...fields };
    sink(JSON.stringify(record, jsonReplacer));
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** Serializes what JSON.stringify cannot: bigint as a decimal string, Error as name and message. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/** True when `value` is a log level. */
export function isLevel(value: unknown): value is Level {
  return typeof value === "string" && (LEVELS as readonly string[]).includes(value);
}
