/**
 * Small readers for untrusted config tables, used by the agent and the hub:
 * each takes the raw value and the dotted field path, and either returns a
 * typed value or throws a `ConfigError` naming the field, the value seen and
 * what is allowed.
 *
 * @example
 * ```ts
 * const http = readTable(root.http, "http");
 * rejectUnknownKeys(http, ["listen"], "http");
 * const listen = readListen(http.listen, "http.listen", "127.0.0.1:8080");
 * ```
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";

/** A plain object parsed from TOML, keyed by option name. */
export type Table = Record<string, unknown>;

/** True when `value` is a plain object (a TOML table), not an array, date or null. */
export function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

/**
 * Returns `raw` as a table, or an empty table when `raw` is undefined.
 *
 * @throws {ConfigError} when `raw` is something other than a table.
 */
export function readTable(raw: unknown, field: string): Table {
  if (raw === undefined) return {};
  if (!isTable(raw)) throw new ConfigError(field, raw, "a table");
  return raw;
}

/**
 * Refuses keys of `table` not listed in `known`, so a typo in a config file is
 * an error rather than a silently ignored option.
 *
 * @throws {ConfigError} naming the first unknown key.
 */
export function rejectUnknownKeys(table: Table, known: readonly string[], field: string): void {
  for (const key of Object.keys(table)) {
    if (!known.includes(key)) {
      const path = field === "" ? key : `${field}.${key}`;
      throw new ConfigError(path, table[key], `no such option (known: ${known.join(", ")})`);
    }
  }
}

/** Bounds of {@linkcode readInt} and {@linkcode readNumber}. */
export interface RangeOptions {
  /** Smallest allowed value, inclusive. */
  min: number;
  /** Largest allowed value, inclusive. @default unbounded (the largest safe integer for readInt) */
  max?: number;
}

function describeRange(kind: string, range: RangeOptions): string {
  return range.max === undefined
    ? `${kind} >= ${range.min}`
    : `${kind} from ${range.min} to ${range.max}`;
}

/**
 * Reads an integer in [min, max] (a safe integer >= min without `max`);
 * `undefined` gives `fallback`. TOML integers beyond 2^53 arrive as bigint.
 *
 * @throws {ConfigError} when the value is not an integer in range.
 */
export function readInt(
  value: unknown,
  field: string,
  fallback: number,
  range: RangeOptions,
): number {
  return readInRange(value, field, fallback, range, "an integer", Number.isSafeInteger);
}

/**
 * Reads a finite number in [min, max]; `undefined` gives `fallback`.
 *
 * @throws {ConfigError} when the value is not a number in range.
 */
export function readNumber(
  value: unknown,
  field: string,
  fallback: number,
  range: RangeOptions,
): number {
  return readInRange(value, field, fallback, range, "a number", Number.isFinite);
}

/** {@linkcode readInt} and {@linkcode readNumber}: `kind` names what `isKind` accepts. */
function readInRange(
  value: unknown,
  field: string,
  fallback: number,
  range: RangeOptions,
  kind: string,
  isKind: (n: number) => boolean,
): number {
  if (value === undefined) return fallback;
  const n = typeof value === "bigint" ? Number(value) : value;
  if (
    typeof n !== "number" || !isKind(n) || n < range.min ||
    (range.max !== undefined && n > range.max)
  ) {
    throw new ConfigError(field, value, describeRange(kind, range));
  }
  return n;
}

/** Options of {@linkcode readString}. */
export interface ReadStringOptions {
  /** Refuse `""`. @default false */
  nonEmpty?: boolean;
}

/**
 * Reads a string; `undefined` gives `fallback`. With `nonEmpty`, `""` is refused.
 *
 * @throws {ConfigError} when the value is not a string.
 */
export function readString(
  value: unknown,
  field: string,
  fallback: string,
  options: ReadStringOptions = {},
): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || (options.nonEmpty && value === "")) {
    throw new ConfigError(field, value, options.nonEmpty ? "a non-empty string" : "a string");
  }
  return value;
}

/**
 * Reads a boolean; `undefined` gives `fallback`.
 *
 * @throws {ConfigError} when the value is not `true` or `false`.
 */
export function readBool(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new ConfigError(field, value, "true or false");
  return value;
}

/**
 * Reads one of a fixed set of strings; `undefined` gives `fallback`.
 *
 * @throws {ConfigError} listing the allowed values.
 */
export function readChoice<T extends string>(
  value: unknown,
  field: string,
  fallback: T,
  allowed: readonly T[],
): T {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(field, value, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
  }
  return value as T;
}

/** A parsed `host:port` listen address. */
export interface ListenAddress {
  hostname: string;
  /** 0 means "pick a free port". */
  port: number;
}

/** Options of {@linkcode readListen}. */
export interface ReadListenOptions {
  /**
   * What the error message says is allowed.
   * @default 'an address "host:port" with a port from 0 to 65535'
   */
  allowed?: string;
}

/**
 * Parses `host:port` (IPv6 as `[::1]:port`); `undefined` parses `fallback`.
 * Port 0 means "pick a free port".
 *
 * @throws {ConfigError} when the text is not `host:port` with a port from 0 to 65535.
 */
export function readListen(
  value: unknown,
  field: string,
  fallback: string,
  options: ReadListenOptions = {},
): ListenAddress {
  const text = value === undefined ? fallback : value;
  const match = typeof text === "string"
    ? /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(text)
    : null;
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    const allowed = options.allowed ?? 'an address "host:port" with a port from 0 to 65535';
    throw new ConfigError(field, value, allowed);
  }
  return { hostname: (match[1] ?? match[2])!, port };
}

/**
 * Formats a listen address back to `host:port` (`[v6]:port` for IPv6), the
 * inverse of {@linkcode readListen}.
 *
 * @example
 * ```ts
 * formatListen({ hostname: "::1", port: 0 }); // "[::1]:0"
 * ```
 */
export function formatListen(address: ListenAddress): string {
  return address.hostname.includes(":")
    ? `[${address.hostname}]:${address.port}`
    : `${address.hostname}:${address.port}`;
}

/** The keys of `D` whose values are of type `V`. */
export type KeysOfType<D, V> = { [K in keyof D]-?: D[K] extends V ? K : never }[keyof D] & string;

/**
 * The readers above bound to one table, its dotted path and its defaults:
 * each takes an option's key, reads `table[key]` as `<field>.<key>` and falls
 * back to `defaults[key]`. Keys are checked against the config type.
 */
export interface TableReader<D> {
  /** The dotted path of `key`, for errors: `<field>.<key>`. */
  path(key: keyof D & string): string;
  /** {@linkcode readInt} of `key`. */
  int(key: KeysOfType<D, number>, range: RangeOptions): number;
  /** {@linkcode readNumber} of `key`. */
  number(key: KeysOfType<D, number>, range: RangeOptions): number;
  /** {@linkcode readString} of `key`. */
  string(key: KeysOfType<D, string>, options?: ReadStringOptions): string;
  /** {@linkcode readBool} of `key`. */
  bool(key: KeysOfType<D, boolean>): boolean;
  /** {@linkcode readChoice} of `key`, one of `allowed`. */
  choice<K extends KeysOfType<D, string>>(key: K, allowed: readonly D[K][]): D[K];
}

/**
 * Binds the field readers to `table` (already checked with
 * {@linkcode readTable}), its path `field` and the config's `defaults`.
 *
 * @example
 * ```ts
 * const d = defaultTailConfig();
 * const r = tableReader(table, "inputs.tail", d);
 * const poll_ms = r.int("poll_ms", { min: 1, max: 60_000 }); // "inputs.tail.poll_ms" in errors
 * ```
 */
export function tableReader<D extends object>(
  table: Table,
  field: string,
  defaults: D,
): TableReader<D> {
  const path = (key: string) => field === "" ? key : `${field}.${key}`;
  const fallback = <T>(key: string) => (defaults as Record<string, unknown>)[key] as T;
  return {
    path,
    int: (key, range) => readInt(table[key], path(key), fallback(key), range),
    number: (key, range) => readNumber(table[key], path(key), fallback(key), range),
    string: (key, options) => readString(table[key], path(key), fallback(key), options),
    bool: (key) => readBool(table[key], path(key), fallback(key)),
    choice: <K extends KeysOfType<D, string>>(key: K, allowed: readonly D[K][]) =>
      readChoice<D[K] & string>(
        table[key],
        path(key),
        fallback(key),
        allowed as readonly (D[K] & string)[],
      ),
  };
}
