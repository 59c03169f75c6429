/**
 * Small validators for untrusted config values. Each names the dotted field,
 * the value seen and what is allowed, through {@linkcode ConfigError}.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";

/** A host and port to listen on; port 0 means "pick a free port". */
export interface ListenAddress {
  hostname: string;
  port: number;
}

/** `value` as a table (plain object), or a ConfigError. */
export function table(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(field, value, "a table");
  }
  return value as Record<string, unknown>;
}

/** Refuses keys not in `allowed`, so a typo does not silently fall back to a default. */
export function onlyKeys(
  value: Record<string, unknown>,
  field: string,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const path = field === "" ? key : `${field}.${key}`;
      throw new ConfigError(path, value[key], `no such option; allowed: ${allowed.join(", ")}`);
    }
  }
}

/** A string, or `fallback` when absent. */
export function str(value: unknown, field: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string") throw new ConfigError(field, value, "a string");
  return value;
}

/** A non-empty string, or `fallback` when absent. */
export function nonEmpty(value: unknown, field: string, fallback: string): string {
  const text = str(value, field, fallback);
  if (text === "") throw new ConfigError(field, text, "a non-empty string");
  return text;
}

/** A boolean, or `fallback` when absent. */
export function bool(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new ConfigError(field, value, "true or false");
  return value;
}

/** A safe integer >= `min`, or `fallback` when absent. */
export function int(value: unknown, field: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  // smol-toml returns integers as numbers, or as bigint beyond 2^53.
  const n = typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min) {
    throw new ConfigError(field, value, `an integer >= ${min}`);
  }
  return n;
}

/** A `host:port` (or `[v6]:port`) address, or a copy of `fallback` when absent. */
export function listenAddress(
  value: unknown,
  field: string,
  fallback: ListenAddress,
): ListenAddress {
  if (value === undefined) return { ...fallback };
  const allowed = `"host:port" with port 0-65535 (0 picks a free port), e.g. "127.0.0.1:8080"`;
  if (typeof value !== "string") throw new ConfigError(field, value, allowed);
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new ConfigError(field, value, allowed);
  return { hostname: (match[1] ?? match[2])!, port };
}

/** Formats a listen address back to `host:port`. */
export function formatListen(address: ListenAddress): string {
  return address.hostname.includes(":")
    ? `[${address.hostname}]:${address.port}`
    : `${address.hostname}:${address.port}`;
}
