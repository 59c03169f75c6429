/**
 * Query results as CSV (RFC 4180): a header line of column names, then one
 * line per row. Values are written as in the JSON answer (timestamps in
 * ISO-8601 with ns, lists and structs as JSON text); NULL is an empty field.
 *
 * @module
 */
import {
  chunkToJsonRows,
  type JsonConverter,
  jsonConverter,
} from "@tributary/shared/sql/json_value";
import { type EncodedResult, MEDIA_TYPES, type ResultEncoder } from "./result_format.ts";

/** Quotes a CSV field when it holds a comma, quote, CR or LF. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A CSV {@linkcode ResultEncoder}. */
export function csvEncoder(): ResultEncoder {
  const lines: string[] = [];
  let converters: JsonConverter[] = [];
  return {
    sink: {
      start(columns, types) {
        lines.push(columns.map((c) => csvField(c.name)).join(","));
        converters = types.map(jsonConverter);
      },
      chunk(chunk) {
        for (const row of chunkToJsonRows(chunk, converters)) {
          lines.push(
            row.map((json) => {
              if (json === null) return "";
              return csvField(typeof json === "string" ? json : JSON.stringify(json));
            }).join(","),
          );
        }
      },
    },
    finish(): Promise<EncodedResult> {
      const text = lines.length ? lines.join("\r\n") + "\r\n" : "";
      return Promise.resolve({
        body: new TextEncoder().encode(text),
        contentType: MEDIA_TYPES.csv,
      });
    },
    close: () => Promise.resolve(),
  };
}
