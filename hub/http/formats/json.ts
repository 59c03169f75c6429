/**
 * Query results as JSON: `{...extra, "columns": [{name, type}], "rows": [[...]], "truncated"}`,
 * values converted by `shared/sql/json_value.ts`.
 *
 * @module
 */
import {
  chunkToJsonRows,
  type Json,
  type JsonConverter,
  jsonConverter,
} from "@tributary/shared/sql/json_value";
import type { QueryColumn } from "@tributary/shared/sql/read_only_query";
import { type EncodedResult, MEDIA_TYPES, type ResultEncoder } from "./result_format.ts";

/** A JSON {@linkcode ResultEncoder}; `extra` fields come first in the answer object. */
export function jsonEncoder(extra: Record<string, Json> = {}): ResultEncoder {
  let columns: QueryColumn[] = [];
  const rows: Json[][] = [];
  let converters: JsonConverter[] = [];
  return {
    sink: {
      start(cols, types) {
        columns = cols;
        converters = types.map(jsonConverter);
      },
      chunk(chunk) {
        for (const row of chunkToJsonRows(chunk, converters)) rows.push(row);
      },
    },
    finish(summary): Promise<EncodedResult> {
      const text = JSON.stringify({
        ...extra,
        columns: columns as unknown as Json,
        rows,
        truncated: summary.truncated,
      });
      return Promise.resolve({
        body: new TextEncoder().encode(text),
        contentType: MEDIA_TYPES.json,
      });
    },
    close: () => Promise.resolve(),
  };
}
