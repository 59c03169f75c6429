/**
 * Readers of URL query parameters for the convenience endpoints. A bad value
 * throws {@linkcode ParamError}, which the app answers with 400 and a body
 * naming the parameter, the value seen and what is allowed.
 *
 * @module
 */
import { nowNs } from "@tributary/shared/records";

/** A query parameter that is missing or not allowed; answered with 400. */
export class ParamError extends Error {
  override readonly name: string = "ParamError";
  readonly parameter: string;
  readonly value: string | undefined;
  readonly allowed: string;
  constructor(parameter: string, value: string | undefined, allowed: string) {
    super(
      `parameter "${parameter}": got ${
        value === undefined ? "nothing" : JSON.stringify(value.slice(0, 80))
      }, allowed: ${allowed}`,
    );
    this.parameter = parameter;
    this.value = value;
    this.allowed = allowed;
  }
}

const UNIT_NS: Record<string, bigint> = {
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};

const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;

/** What a duration parameter allows, for error messages. */
export const DURATION_ALLOWED = "a duration like 500ms, 10s, 5m, 1h, 1d";

/** Parses `10s`, `5m`, `1h`... into nanoseconds; undefined when not a duration. */
export function parseDurationNs(text: string): bigint | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  return BigInt(match[1]!) * UNIT_NS[match[2]!]!;
}

/** Reads a required or optional duration parameter, within [min, max] ns. */
export function readDuration(
  params: URLSearchParams,
  name: string,
  fallback: bigint,
  bounds: { minNs: bigint; maxNs: bigint },
): bigint {
  const raw = params.get(name) ?? undefined;
  if (raw === undefined || raw === "") return fallback;
  const ns = parseDurationNs(raw);
  if (ns === undefined || ns < bounds.minNs || ns > bounds.maxNs) {
    throw new ParamError(
      name,
      raw,
      `${DURATION_ALLOWED}, from ${formatDuration(bounds.minNs)} to ${
        formatDuration(bounds.maxNs)
      }`,
    );
  }
  return ns;
}

/** The shortest text for a duration in ns, e.g. `90000000000n` → `90s`. */
export function formatDuration(ns: bigint): string {
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const size = UNIT_NS[unit]!;
    if (ns % size === 0n) return `${ns / size}${unit}`;
  }
  return `${ns}ns`;
}

/** What a time parameter allows, for error messages. */
export const TIME_ALLOWED =
  'an ISO-8601 time like 2024-05-01T12:00:00Z, "now", or a duration before now like -15m';

/**
 * Reads a time parameter: ISO-8601 (with a zone), `now`, or `-<duration>`
 * (that long before `now`). Nanoseconds since the epoch.
 */
export function readTime(
  params: URLSearchParams,
  name: string,
  fallback: bigint,
  now: bigint = nowNs(),
): bigint {
  const raw = params.get(name) ?? undefined;
  if (raw === undefined || raw === "") return fallback;
  if (raw === "now") return now;
  if (raw.startsWith("-")) {
    const ns = parseDurationNs(raw.slice(1));
    if (ns !== undefined) return now - ns;
    throw new ParamError(name, raw, TIME_ALLOWED);
  }
  const iso = parseIsoNs(raw);
  if (iso === undefined) throw new ParamError(name, raw, TIME_ALLOWED);
  return iso;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:\d{2})?$/;

/** ISO-8601 text → ns since the epoch (fractions down to ns); undefined when not valid. */
export function parseIsoNs(text: string): bigint | undefined {
  const match = ISO.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone = "Z"] = match;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, "0"));
}

/** Reads a text parameter; `required` throws when it is missing. Longer than 256 characters is refused. */
export function readText(
  params: URLSearchParams,
  name: string,
  options: { required?: boolean; allowed?: string } = {},
): string | undefined {
  const raw = params.get(name) ?? undefined;
  const allowed = options.allowed ?? "a non-empty text of at most 256 characters";
  if (raw === undefined || raw === "") {
    if (options.required) throw new ParamError(name, raw, allowed);
    return undefined;
  }
  if (raw.length > 256) throw new ParamError(name, raw, allowed);
  return raw;
}

/** Reads one of `choices`. */
export function readChoiceParam<T extends string>(
  params: URLSearchParams,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = params.get(name) ?? undefined;
  if (raw === undefined || raw === "") return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ParamError(name, raw, `one of ${choices.join(", ")}`);
  }
  return raw as T;
}

/** Reads a comma-separated list whose items are all among `choices`. */
export function readChoiceList<T extends string>(
  params: URLSearchParams,
  name: string,
  choices: readonly T[],
): T[] | undefined {
  const raw = params.get(name) ?? undefined;
  if (raw === undefined || raw === "") return undefined;
  const items = raw.split(",").map((item) => item.trim());
  for (const item of items) {
    if (!(choices as readonly string[]).includes(item)) {
      throw new ParamError(name, raw, `a comma-separated list of ${choices.join(", ")}`);
    }
  }
  return items as T[];
}

/** Reads an integer in [min, max]. */
export function readIntParam(
  params: URLSearchParams,
  name: string,
  fallback: number,
  bounds: { min: number; max: number },
): number {
  const raw = params.get(name) ?? undefined;
  if (raw === undefined || raw === "") return fallback;
  const value = /^\d{1,12}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= bounds.min && value <= bounds.max)) {
    throw new ParamError(name, raw, `an integer from ${bounds.min} to ${bounds.max}`);
  }
  return value;
}

/** Throws when `from` is not before `to`. */
export function checkRange(fromNs: bigint, toNs: bigint, fromRaw: string | null): void {
  if (fromNs >= toNs) {
    throw new ParamError("from", fromRaw ?? undefined, 'a time before "to"');
  }
}
