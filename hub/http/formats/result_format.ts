/**
 * Output formats of query results: JSON (default), CSV, Arrow IPC stream and
 * Parquet, chosen by `?format=` or the `Accept` header.
 *
 * @module
 */
import type { DuckDBDataChunk, DuckDBType } from "@duckdb/node-api";
import type {
  QueryChunkSink,
  QueryColumn,
  QueryStreamSummary,
} from "@tributary/shared/sql/read_only_query";
import { ParamError } from "../params.ts";

/** The formats a query answer can take. */
export const RESULT_FORMATS = ["json", "csv", "arrow", "parquet"] as const;

/** One output format. */
export type ResultFormat = typeof RESULT_FORMATS[number];

/** Media type of each format. */
export const MEDIA_TYPES: Readonly<Record<ResultFormat, string>> = {
  json: "application/json",
  csv: "text/csv; charset=utf-8",
  arrow: "application/vnd.apache.arrow.stream",
  parquet: "application/vnd.apache.parquet",
};

const ACCEPTED: [RegExp, ResultFormat][] = [
  [/^text\/csv$/, "csv"],
  [/^application\/vnd\.apache\.arrow\.stream$/, "arrow"],
  [/^application\/(vnd\.apache\.parquet|x-parquet)$/, "parquet"],
  [/^application\/json$/, "json"],
];

/**
 * Picks the format: `?format=` wins, then the first media type of `Accept`
 * that names a format, then JSON.
 *
 * @throws {ParamError} when `format` is given and is not a format.
 */
export function chooseFormat(
  formatParam: string | undefined,
  accept: string | undefined,
): ResultFormat {
  if (formatParam !== undefined && formatParam !== "") {
    if (!(RESULT_FORMATS as readonly string[]).includes(formatParam)) {
      throw new ParamError("format", formatParam, `one of ${RESULT_FORMATS.join(", ")}`);
    }
    return formatParam as ResultFormat;
  }
  for (const part of (accept ?? "").split(",")) {
    const type = part.split(";")[0]!.trim().toLowerCase();
    for (const [pattern, format] of ACCEPTED) if (pattern.test(type)) return format;
  }
  return "json";
}

/** A finished answer body. */
export interface EncodedResult {
  body: Uint8Array;
  contentType: string;
}

/**
 * Turns a streamed query result into one format: `sink` receives the chunks,
 * `finish` encodes what it received.
 */
export interface ResultEncoder {
  readonly sink: QueryChunkSink;
  finish(summary: QueryStreamSummary): Promise<EncodedResult>;
  /** Frees what the encoder holds (temporary files, DuckDB instances). Idempotent. */
  close(): Promise<void>;
}

/** The columns and DuckDB types seen in `start`, for encoders that need them. */
export class ColumnsSeen {
  columns: QueryColumn[] = [];
  types: DuckDBType[] = [];
  record(columns: QueryColumn[], types: DuckDBType[]): void {
    this.columns = columns;
    this.types = types;
  }
}

/** Re-exported for encoders: one chunk of a result. */
export type Chunk = DuckDBDataChunk;
