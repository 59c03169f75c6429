/**
 * DuckDB data chunks read and written with column types the caller already
 * knows, so each call creates as few N-API externals as it can.
 *
 * Why: under Deno every N-API external leaks (2.9.6's `napi_create_external`
 * boxes a 32-byte wrapper that nothing frees; found with heaptrack, see
 * docs/benchmarks.md "Native memory per DuckDB call"), and `@duckdb/node-api`
 * creates one for every handle. `DuckDBDataChunk.getColumnVector` asks DuckDB
 * for the column's logical type each time (a second external per vector),
 * `DuckDBDataChunk.create` makes a logical type per column for every chunk,
 * and `appender.columnType` one per column. The agent reads and the hub
 * writes a chunk per 2,048 rows, all day: {@linkcode ChunkShape} makes the
 * logical types once and reads or writes vectors with the known types.
 *
 * @module
 */
import duckdb from "@duckdb/node-bindings";
import {
  DuckDBDataChunk,
  type DuckDBLogicalType,
  type DuckDBType,
  type DuckDBValue,
  DuckDBVector,
} from "@duckdb/node-api";

/** Column `index` of `chunk`, read as `type` (which must be the column's type). */
export function chunkVector(chunk: DuckDBDataChunk, index: number, type: DuckDBType): DuckDBVector {
  return DuckDBVector.create(
    duckdb.data_chunk_get_vector(chunk.chunk, index),
    chunk.rowCount,
    type,
  );
}

/** The column types of chunks made, filled and read again and again. */
export class ChunkShape {
  readonly types: readonly DuckDBType[];
  // Kept for the shape's life: made once instead of once per chunk.
  readonly #logicalTypes: readonly DuckDBLogicalType[];

  constructor(types: readonly DuckDBType[]) {
    this.types = types;
    this.#logicalTypes = types.map((t) => t.toLogicalType());
  }

  /** A new chunk of this shape with `rowCount` rows (at most 2,048). */
  create(rowCount: number): DuckDBDataChunk {
    const chunk = new DuckDBDataChunk(
      duckdb.create_data_chunk(this.#logicalTypes.map((t) => t.logical_type)),
    );
    chunk.rowCount = rowCount;
    return chunk;
  }

  /** Column `index` of `chunk` (a chunk of this shape). */
  vector(chunk: DuckDBDataChunk, index: number): DuckDBVector {
    return chunkVector(chunk, index, this.types[index]!);
  }

  /** Writes `values` (one per row) into column `index` of `chunk`, as `setColumnValues` does. */
  setColumn(chunk: DuckDBDataChunk, index: number, values: readonly DuckDBValue[]): void {
    if (values.length !== chunk.rowCount) {
      throw new RangeError(
        `column ${index}: got ${values.length} values, expected one per row (${chunk.rowCount})`,
      );
    }
    const vector = this.vector(chunk, index);
    for (let i = 0; i < values.length; i++) vector.setItem(i, values[i]!);
    vector.flush();
  }
}
