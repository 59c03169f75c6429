/**
 * Number, size and age formatting for the dashboard (no DOM).
 *
 * @module
 */

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const plain = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

/**
 * `1234567` → `1.2M`; small numbers keep two decimals; non-numbers → `—`.
 *
 * @example
 * ```ts
 * formatCount(1500); // "1.5K"
 * ```
 */
export function formatCount(value: unknown): string {
  const n = typeof value === "number" ? value : Number(value);
  if (value === null || value === undefined || value === "" || !Number.isFinite(n)) return "—";
  return Math.abs(n) >= 10_000 ? compact.format(n) : plain.format(n);
}

/** A price with up to 4 decimals and at least 2. */
export function formatPrice(value: unknown): string {
  const n = Number(value);
  if (value === null || !Number.isFinite(n)) return "—";
  return n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 4 });
}

/** Seconds as `42s`, `3m 5s`, `2h 1m`, `4d 3h`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** How long ago an ISO time or ms timestamp was, from `nowMs`: `12s ago`; `never` for null. */
export function formatAgo(when: string | number | null | undefined, nowMs: number): string {
  if (when === null || when === undefined) return "never";
  const ms = typeof when === "number" ? when : Date.parse(when);
  if (!Number.isFinite(ms)) return "—";
  return `${formatDuration(Math.max(0, (nowMs - ms) / 1000))} ago`;
}

/** A time of day, UTC, `HH:MM:SS.mmm`, from an ISO string or ms. */
export function formatClock(when: string | number | null | undefined): string {
  if (when === null || when === undefined) return "—";
  const ms = typeof when === "number" ? when : Date.parse(when);
  if (!Number.isFinite(ms)) return String(when);
  return new Date(ms).toISOString().slice(11, 23);
}

/** Any query cell as display text: objects as JSON, null as `NULL`. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
