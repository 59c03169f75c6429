/**
 * Query results as a Parquet file (zstd).
 *
 * The hub's DuckDB runs with external access off, so it cannot write files.
 * The rows are copied chunk by chunk into a separate in-memory DuckDB that may
 * write only inside one private temporary folder (`allowed_directories`, then
 * `lock_configuration`); that instance writes the file, which is read back and
 * deleted. No user SQL ever runs on the export instance.
 *
 * @module
 */
import { join } from "node:path";
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { type EncodedResult, MEDIA_TYPES, type ResultEncoder } from "./result_format.ts";

/** Options of {@linkcode parquetEncoder}. */
export interface ParquetEncoderOptions {
  /** Parent of the private temporary folder. @default the system temp dir */
  tempDir?: string;
}

/** A Parquet {@linkcode ResultEncoder}. Call `close()` in every case: it removes the folder. */
export function parquetEncoder(options: ParquetEncoderOptions = {}): ResultEncoder {
  let dir: string | undefined;
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  let appender: DuckDBAppender | undefined;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      appender?.closeSync();
    } catch {
      // Already failed while appending; the error reported is that one.
    }
    connection?.closeSync();
    instance?.closeSync();
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    sink: {
      async start(columns, types) {
        dir = await Deno.makeTempDir({ dir: options.tempDir, prefix: "tributary-parquet-" });
        instance = await DuckDBInstance.create(":memory:");
        connection = await instance.connect();
        await connection.run(`SET allowed_directories = ['${dir.replaceAll("'", "''")}/']`);
        await connection.run("SET enable_external_access = false");
        await connection.run("SET lock_configuration = true");
        const seen = new Map<string, number>();
        const defs = columns.map((c, i) => {
          const n = (seen.get(c.name) ?? 0) + 1;
          seen.set(c.name, n);
          const name = n === 1 ? c.name : `${c.name}_${n}`;
          return `"${name.replaceAll('"', '""')}" ${types[i]!.toString()}`;
        });
        await connection.run(`CREATE TABLE result (${defs.join(", ")})`);
        appender = await connection.createAppender("result");
      },
      chunk(chunk) {
        appender!.appendDataChunk(chunk);
      },
    },
    async finish(): Promise<EncodedResult> {
      appender!.flushSync();
      appender!.closeSync();
      appender = undefined;
      const file = join(dir!, "result.parquet");
      await connection!.run(
        `COPY result TO '${file.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`,
      );
      const body = await Deno.readFile(file);
      return { body, contentType: MEDIA_TYPES.parquet };
    },
    close,
  };
}
