/**
 * An InfluxDB line protocol parser (the v1/v2 text format Telegraf and the
 * InfluxDB client libraries write) and its mapping to Tributary readings.
 *
 * ```
 * measurement[,tag=value...] field=value[,field=value...] [timestamp]
 * ```
 *
 * Escapes follow InfluxDB: in measurements `\,` and `\ `; in tag keys, tag
 * values and field keys `\,`, `\=` and `\ `; in string field values `\"` and
 * `\\`. Field values are floats (`1`, `-1.5e3`), integers (`12i`), unsigned
 * integers (`12u`), booleans (`t`, `true`, `F`, ...) or strings (`"..."`).
 * Lines starting with `#` and blank lines are skipped.
 *
 * Mapping to a reading (one reading per numeric field):
 * - `sensor`: the series key, i.e. the measurement and its tags sorted by key,
 *   in line-protocol form (`cpu,host=a,region=eu`); or, when `sensorTag` is set
 *   and the line has that tag, its value (the tag is then left out of `tags`);
 * - `metric`: the field key; `value`: the field value (booleans 1/0);
 * - `unit`: the value of the `unit` tag if present (left out of `tags`), else "";
 * - `tags`: the other tags as a JSON object;
 * - `ts`: the timestamp times the precision, or the receive time if absent.
 *
 * String fields carry no number: they are counted, not turned into readings.
 *
 * @module
 */
import type { Reading } from "@tributary/shared/records";

/** Timestamp precisions of the `precision` query parameter, ns per unit. */
export const PRECISIONS: Readonly<Record<string, bigint>> = {
  n: 1n,
  ns: 1n,
  u: 1_000n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** A field value as written in the line. */
export type FieldValue = number | boolean | string;

/** One parsed line. */
export interface ParsedLine {
  /** The measurement and tags as written (the series, escapes kept). */
  series: string;
  measurement: string;
  /** Tags in the order written. */
  tags: [string, string][];
  /** Fields in the order written. */
  fields: [string, FieldValue][];
  /** The timestamp as written (in the request's precision), or undefined. */
  timestamp: bigint | undefined;
}

/** A line that is not valid line protocol. */
export class LineSyntaxError extends Error {
  override readonly name = "LineSyntaxError";
}

/**
 * Parses one line (without its newline).
 *
 * @throws {LineSyntaxError} saying what is wrong and at which column.
 */
export function parseLine(line: string): ParsedLine {
  let i = 0;
  const n = line.length;
  const fail = (what: string): never => {
    throw new LineSyntaxError(`${what} at column ${i + 1}`);
  };

  // Scans from `i` to the first unescaped stop character; slices instead of
  // building strings char by char (most lines have no escapes at all).
  // `escapable` holds the characters a backslash escapes in this context.
  const scan = (escapable: string, stopAtEquals: boolean, failAtEquals: boolean): string => {
    const start = i;
    let escaped = false;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c === 92 /* \ */ && i + 1 < n && escapable.includes(line[i + 1]!)) {
        escaped = true;
        i += 2;
      } else if (c === 44 /* , */ || c === 32 /* space */) {
        break;
      } else if (c === 61 /* = */ && (stopAtEquals || failAtEquals)) {
        if (failAtEquals) fail("unescaped '=' in a tag value");
        break;
      } else {
        i++;
      }
    }
    const text = line.slice(start, i);
    return escaped ? unescape(text, escapable) : text;
  };

  const measurement = scan(", ", false, false);
  if (measurement.length === 0) fail("missing measurement");

  const tags: [string, string][] = [];
  while (line.charCodeAt(i) === 44) {
    i++;
    const key = scan(KEY_ESCAPES, true, false);
    if (key.length === 0) fail("empty tag key");
    if (line[i] !== "=") fail(`missing '=' after tag key "${key}"`);
    i++;
    const value = scan(KEY_ESCAPES, false, true);
    if (value.length === 0) fail(`empty value of tag "${key}"`);
    tags.push([key, value]);
  }
  if (line[i] !== " ") fail("missing fields");
  const series = line.slice(0, i);
  while (line[i] === " ") i++;

  const fields: [string, FieldValue][] = [];
  while (true) {
    const key = scan(KEY_ESCAPES, true, false);
    if (key.length === 0) fail("empty field key");
    if (line[i] !== "=") fail(`missing '=' after field key "${key}"`);
    i++;
    fields.push([key, readFieldValue()]);
    if (line.charCodeAt(i) === 44) {
      i++;
      continue;
    }
    break;
  }

  let timestamp: bigint | undefined;
  if (i < n) {
    if (line[i] !== " ") fail("unexpected character after fields");
    while (line[i] === " ") i++;
    const start = i;
    if (line[i] === "-") i++;
    while (i < n && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
    const digits = line.slice(start, i);
    while (line[i] === " ") i++;
    if (i < n || digits.length === 0 || digits === "-") fail("bad timestamp");
    if (digits.length > 20) fail("timestamp out of range");
    timestamp = BigInt(digits);
  }
  return { series, measurement, tags, fields, timestamp };

  function readFieldValue(): FieldValue {
    if (line[i] === '"') {
      i++;
      let out = "";
      let from = i;
      while (i < n) {
        const c = line[i]!;
        if (c === "\\" && i + 1 < n && (line[i + 1] === '"' || line[i + 1] === "\\")) {
          out += line.slice(from, i) + line[i + 1];
          i += 2;
          from = i;
        } else if (c === '"') {
          out += line.slice(from, i);
          i++;
          return out;
        } else {
          i++;
        }
      }
      return fail("unterminated string field");
    }
    const start = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c === 44 || c === 32) break;
      i++;
    }
    const text = line.slice(start, i);
    if (text.length === 0) fail("empty field value");
    const last = text.charCodeAt(text.length - 1);
    if (last === 105 /* i */ || last === 117 /* u */) {
      const digits = text.slice(0, -1);
      if (!INTEGER.test(digits) || (last === 117 && digits.startsWith("-"))) {
        fail(`bad ${last === 105 ? "integer" : "unsigned"} "${text}"`);
      }
      return Number(digits);
    }
    switch (text) {
      case "t":
      case "T":
      case "true":
      case "True":
      case "TRUE":
        return true;
      case "f":
      case "F":
      case "false":
      case "False":
      case "FALSE":
        return false;
    }
    if (!FLOAT.test(text)) fail(`bad number "${text}"`);
    const value = Number(text);
    if (!Number.isFinite(value)) fail(`number out of range "${text}"`);
    return value;
  }
}

/** Characters a backslash escapes in tag keys, tag values and field keys. */
const KEY_ESCAPES = ",= \\";
const INTEGER = /^-?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function unescape(text: string, escapable: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length && escapable.includes(text[i + 1]!)) {
      out += text[i + 1];
      i++;
    } else {
      out += c;
    }
  }
  return out;
}

/** Options of {@linkcode toReadings}. */
export interface ToReadingsOptions {
  /** ns per timestamp unit (see {@linkcode PRECISIONS}). */
  precisionNs: bigint;
  /** The receive time, also the event time of lines without a timestamp. */
  recvTs: bigint;
  /** A tag whose value names the sensor instead of the series key. @default "" (none) */
  sensorTag?: string;
  /** Extra tags added to every reading (e.g. the database). */
  extraTags?: Readonly<Record<string, string>>;
  /**
   * Sensor, unit and tags by raw series text, filled as lines are mapped:
   * lines of a series already seen skip sorting and encoding their tags. Use
   * one per body (its entries depend on `sensorTag` and `extraTags`).
   */
  seriesCache?: Map<string, SeriesFields>;
}

/** The readings of one parsed line, and how many string fields it had. */
export interface LineReadings {
  readings: Reading[];
  /** Event time of the line in ns. */
  ts: bigint;
  stringFields: number;
}

/** Maps a parsed line to readings; see the module doc for the mapping. */
export function toReadings(line: ParsedLine, options: ToReadingsOptions): LineReadings {
  let series = options.seriesCache?.get(line.series);
  if (series === undefined) {
    series = seriesFields(line, options);
    options.seriesCache?.set(line.series, series);
  }
  const { sensor, unit, tagsJson } = series;
  const ts = line.timestamp === undefined ? options.recvTs : line.timestamp * options.precisionNs;
  const readings: Reading[] = [];
  let stringFields = 0;
  for (const [metric, value] of line.fields) {
    if (typeof value === "string") {
      stringFields++;
      continue;
    }
    readings.push({
      ts,
      recv_ts: options.recvTs,
      sensor,
      metric,
      value: typeof value === "boolean" ? (value ? 1 : 0) : value,
      unit,
      tags: tagsJson,
    });
  }
  return { readings, ts, stringFields };
}

/** The reading fields a series determines. */
export interface SeriesFields {
  sensor: string;
  unit: string;
  tagsJson: string;
}

function seriesFields(line: ParsedLine, options: ToReadingsOptions): SeriesFields {
  const sorted = [...line.tags].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let sensor: string | undefined;
  let unit = "";
  const tags: Record<string, string> = { ...options.extraTags };
  for (const [key, value] of sorted) {
    if (options.sensorTag && key === options.sensorTag) sensor = value;
    else if (key === "unit") unit = value;
    else tags[key] = value;
  }
  sensor ??= seriesKey(line.measurement, sorted);
  return { sensor, unit, tagsJson: JSON.stringify(tags) };
}

/** `measurement,k=v,...` with line-protocol escapes, tags in the given (sorted) order. */
export function seriesKey(measurement: string, sortedTags: readonly [string, string][]): string {
  let key = measurement.replace(/[, ]/g, (c) => `\\${c}`);
  for (const [k, v] of sortedTags) key += `,${escapeTagPart(k)}=${escapeTagPart(v)}`;
  return key;
}

function escapeTagPart(text: string): string {
  return text.replace(/[,= ]/g, (c) => `\\${c}`);
}
