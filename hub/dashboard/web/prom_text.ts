/**
 * A small parser for the Prometheus text exposition format, enough for the
 * dashboard to read the hub's own `/metrics` page (no DOM, unit-tested).
 *
 * @module
 */

/** One sample line: `name{label="value",...} 12.5`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses a text page into samples; comment lines and lines that do not parse
 * are skipped (a scrape must never break the page).
 *
 * @example
 * ```ts
 * parsePromText('x_total{kind="logs"} 3')[0]; // { name: "x_total", labels: { kind: "logs" }, value: 3 }
 * ```
 */
export function parsePromText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(LABEL)) {
      labels[key!] = unescapeLabel(value!);
    }
    const value = parseValue(match[3]!);
    if (value === undefined) continue;
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/**
 * Sums the samples named `name`, grouped by the value of `label`
 * (all samples together under `""` when `label` is omitted).
 */
export function sumBy(
  samples: readonly Sample[],
  name: string,
  label?: string,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = label === undefined ? "" : s.labels[label] ?? "";
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/** The sum of every sample named `name` (0 when none). */
export function total(samples: readonly Sample[], name: string): number {
  return sumBy(samples, name)[""] ?? 0;
}

function parseValue(text: string): number | undefined {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
}
