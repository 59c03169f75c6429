/**
 * Options of the `tail` input and their validation. Defaults and meaning:
 * README.md beside this file (and sample.toml, which a test keeps equal to
 * {@linkcode defaultTailConfig}).
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import {
  readString,
  readTable,
  rejectUnknownKeys,
  tableReader,
} from "@tributary/shared/config/fields";
import { LOG_LEVELS } from "@tributary/shared/records";
import { defaultSkewWindow, readSkewWindow } from "../processors/skew.ts";

/** Where a file seen for the first time (no checkpoint) is read from, at agent start. */
export const START_AT = ["end", "beginning"] as const;

/** The level given to lines: detected from the text, or fixed. */
export const LEVEL_MODES = ["auto", ...LOG_LEVELS] as const;

/** Where a line's event time comes from. */
export const TIMESTAMP_MODES = ["none", "rfc3339"] as const;

/** Config of a `tail` input. */
export interface TailConfig {
  /** Glob patterns of the files to follow (absolute, or relative to the agent's cwd). Required. */
  paths: string[];
  /** Files without a checkpoint found at start: read from their `end` or their `beginning`. @default "end" */
  start_at: typeof START_AT[number];
  /** Regular expression a line must match to start a record; "" = every line is a record. @default "" */
  multiline_start: string;
  /** A joined record is closed after this many lines. @default 500 */
  multiline_max_lines: number;
  /** An open record is closed when no line came for this long, in ms. @default 1000 */
  multiline_timeout_ms: number;
  /** Longer lines are skipped and counted as `too_large`. @default 65536 */
  max_line_bytes: number;
  /** How often files are read, in ms. @default 250 */
  poll_ms: number;
  /** How often the globs are expanded again to find new files, in ms. @default 2000 */
  rescan_ms: number;
  /**
   * After a file was renamed away (rotated), keep reading it this long after
   * its last growth before moving on to the new file. @default 1000
   */
  rotate_wait_ms: number;
  /** Most bytes read from one file per write (one buffer transaction). @default 1048576 */
  read_bytes: number;
  /** `source` column of the rows; "" = the file's path. @default "" */
  source: string;
  /** "auto" detects the level in the text (fallback info), or one fixed level. @default "auto" */
  level: typeof LEVEL_MODES[number];
  /**
   * "none": ts = the time the line was read. "rfc3339": a record starting
   * with an RFC 3339 timestamp (`2024-05-01T12:00:00.123Z ...`) gets it as
   * ts, checked against the skew window; others get the read time. @default "none"
   */
  timestamp: typeof TIMESTAMP_MODES[number];
  /** With a parsed timestamp: records more than this far ahead of the agent clock are rejected (`clock_skew`); 0 = no limit. @default 300 */
  max_future_s: number;
  /** With a parsed timestamp: records more than this far behind are rejected (`clock_skew`); 0 = no limit. @default 604800 */
  max_past_s: number;
}

/** The defaults of {@linkcode TailConfig} (`paths` has none: it is required). */
export function defaultTailConfig(): TailConfig {
  return {
    paths: [],
    start_at: "end",
    multiline_start: "",
    multiline_max_lines: 500,
    multiline_timeout_ms: 1000,
    max_line_bytes: 65536,
    poll_ms: 250,
    rescan_ms: 2000,
    rotate_wait_ms: 1000,
    read_bytes: 1048576,
    source: "",
    level: "auto",
    timestamp: "none",
    ...defaultSkewWindow(),
  };
}

const KEYS = ["type", ...Object.keys(defaultTailConfig())];

/**
 * Validates an untrusted `[[inputs]]` table of type `tail`.
 *
 * @throws {ConfigError} naming the field (e.g. `inputs[0].paths`), the value and what is allowed.
 */
export function validateTailConfig(raw: unknown, field: string): TailConfig {
  const table = readTable(raw, field);
  rejectUnknownKeys(table, KEYS, field);
  const d = defaultTailConfig();
  const paths = table.paths;
  if (
    !Array.isArray(paths) || paths.length === 0 ||
    !paths.every((p) => typeof p === "string" && p !== "")
  ) {
    throw new ConfigError(
      `${field}.paths`,
      paths,
      'a non-empty list of glob patterns, e.g. ["/var/log/app/*.log"]',
    );
  }
  const multiline = readString(table.multiline_start, `${field}.multiline_start`, "");
  if (multiline !== "") {
    try {
      new RegExp(multiline);
    } catch (error) {
      throw new ConfigError(
        `${field}.multiline_start`,
        multiline,
        `a valid regular expression (${(error as Error).message})`,
      );
    }
  }
  const r = tableReader(table, field, d);
  return {
    paths: [...paths] as string[],
    start_at: r.choice("start_at", START_AT),
    multiline_start: multiline,
    multiline_max_lines: r.int("multiline_max_lines", { min: 1, max: 100_000 }),
    multiline_timeout_ms: r.int("multiline_timeout_ms", { min: 1, max: 3_600_000 }),
    max_line_bytes: r.int("max_line_bytes", { min: 16, max: 16 * 1024 * 1024 }),
    poll_ms: r.int("poll_ms", { min: 1, max: 60_000 }),
    rescan_ms: r.int("rescan_ms", { min: 1, max: 3_600_000 }),
    rotate_wait_ms: r.int("rotate_wait_ms", { min: 0, max: 600_000 }),
    read_bytes: r.int("read_bytes", { min: 4096, max: 256 * 1024 * 1024 }),
    source: r.string("source"),
    level: r.choice("level", LEVEL_MODES),
    timestamp: r.choice("timestamp", TIMESTAMP_MODES),
    ...readSkewWindow(table, field),
  };
}
