/**
 * Reads a column of a DuckDB data chunk as a vector of a type the caller
 * already knows.
 *
 * Why not `DuckDBDataChunk.getColumnVector`: it asks DuckDB for the column's
 * logical type on every call, one more N-API external per vector, and under
 * Deno every external leaks (2.9's `napi_create_external` boxes a 32-byte
 * wrapper that nothing frees; found with heaptrack, see docs/benchmarks.md
 * "Native memory per query"). A drain reads one vector per column per 2,048
 * rows, so the type lookups alone kept ~0.3 MiB per million rows. The buffer
 * knows its column types, so it reads the raw vector handle (one external)
 * and builds the vector with that type.
 *
 * @module
 */
import duckdb from "@duckdb/node-bindings";
import { type DuckDBDataChunk, type DuckDBType, DuckDBVector } from "@duckdb/node-api";

/** Column `index` of `chunk`, read as `type` (which must be the column's type). */
export function chunkVector(
  chunk: DuckDBDataChunk,
  index: number,
  type: DuckDBType,
): DuckDBVector {
  return DuckDBVector.create(
    duckdb.data_chunk_get_vector(chunk.chunk, index),
    chunk.rowCount,
    type,
  );
}
