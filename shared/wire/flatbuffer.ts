/**
 * A bounds-checked reader for the FlatBuffers that carry Arrow IPC metadata.
 *
 * The `flatbuffers` package that apache-arrow uses does no bounds checks (a
 * read past the end yields 0) and trusts vector lengths, so a hostile length
 * field can make its reader loop for billions of iterations. This reader checks
 * every offset and every vector extent against the buffer before use, and
 * throws {@linkcode FlatBufferError} instead.
 *
 * @module
 */

/** A FlatBuffer that is not well formed: an offset or extent points outside it. */
export class FlatBufferError extends Error {
  override readonly name: string = "FlatBufferError";
}

/** A vector inside a FlatBuffer: `length` elements starting at byte `start`. */
export interface FlatVector {
  readonly start: number;
  readonly length: number;
}

/** A table inside a FlatBuffer, read field by field (field ids as in the `.fbs` schema). */
export class FlatTable {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  readonly #pos: number;
  readonly #vtable: number;
  readonly #vtableSize: number;
  readonly #tableSize: number;

  private constructor(bytes: Uint8Array, view: DataView, pos: number) {
    this.#bytes = bytes;
    this.#view = view;
    this.#pos = pos;
    checkExtent(bytes, pos, 4, "table");
    const vtable = pos - view.getInt32(pos, true);
    checkExtent(bytes, vtable, 4, "vtable");
    const vtableSize = view.getUint16(vtable, true);
    const tableSize = view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0) {
      throw new FlatBufferError(`vtable at ${vtable} has size ${vtableSize}`);
    }
    checkExtent(bytes, vtable, vtableSize, "vtable");
    if (tableSize < 4) throw new FlatBufferError(`table at ${pos} has size ${tableSize}`);
    checkExtent(bytes, pos, tableSize, "table");
    this.#vtable = vtable;
    this.#vtableSize = vtableSize;
    this.#tableSize = tableSize;
  }

  /** The root table of the FlatBuffer in `bytes`. */
  static root(bytes: Uint8Array): FlatTable {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    checkExtent(bytes, 0, 4, "root offset");
    return new FlatTable(bytes, view, view.getUint32(0, true));
  }

  /** Byte position of field `id`, or 0 when the field is absent. */
  #field(id: number, size: number): number {
    const entry = 4 + 2 * id;
    if (entry >= this.#vtableSize) return 0;
    const offset = this.#view.getUint16(this.#vtable + entry, true);
    if (offset === 0) return 0;
    if (offset + size > this.#tableSize) {
      throw new FlatBufferError(`field ${id} at offset ${offset} lies outside its table`);
    }
    return this.#pos + offset;
  }

  /** True when field `id` is present. */
  has(id: number): boolean {
    return this.#field(id, 1) !== 0;
  }

  /** A `bool` or `ubyte` field. */
  uint8(id: number, fallback: number): number {
    const at = this.#field(id, 1);
    return at === 0 ? fallback : this.#view.getUint8(at);
  }

  /** A `short` field. */
  int16(id: number, fallback: number): number {
    const at = this.#field(id, 2);
    return at === 0 ? fallback : this.#view.getInt16(at, true);
  }

  /** An `int` field. */
  int32(id: number, fallback: number): number {
    const at = this.#field(id, 4);
    return at === 0 ? fallback : this.#view.getInt32(at, true);
  }

  /** A `long` field. */
  int64(id: number, fallback: bigint): bigint {
    const at = this.#field(id, 8);
    return at === 0 ? fallback : this.#view.getBigInt64(at, true);
  }

  /** Follows the offset stored at `at` and returns the position it points to. */
  #follow(at: number): number {
    const target = at + this.#view.getUint32(at, true);
    checkExtent(this.#bytes, target, 4, "offset target");
    return target;
  }

  /** A table (or union value) field, or `undefined` when absent. */
  table(id: number): FlatTable | undefined {
    const at = this.#field(id, 4);
    return at === 0 ? undefined : new FlatTable(this.#bytes, this.#view, this.#follow(at));
  }

  /** A vector field whose elements are `elementSize` bytes, or `undefined` when absent. */
  vector(id: number, elementSize: number): FlatVector | undefined {
    const at = this.#field(id, 4);
    if (at === 0) return undefined;
    const target = this.#follow(at);
    const length = this.#view.getUint32(target, true);
    checkExtent(this.#bytes, target + 4, length * elementSize, "vector");
    return { start: target + 4, length };
  }

  /** A `string` field, decoded as UTF-8, or `undefined` when absent. */
  string(id: number): string | undefined {
    const vector = this.vector(id, 1);
    if (vector === undefined) return undefined;
    const bytes = this.#bytes.subarray(vector.start, vector.start + vector.length);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new FlatBufferError(`string at ${vector.start} is not valid UTF-8`);
    }
  }

  /** Element `index` of a vector of tables. */
  tableAt(vector: FlatVector, index: number): FlatTable {
    checkIndex(vector, index);
    return new FlatTable(this.#bytes, this.#view, this.#follow(vector.start + 4 * index));
  }

  /** The `long` at byte `offset` of struct `index` in a vector of `structSize`-byte structs. */
  structInt64(vector: FlatVector, index: number, structSize: number, offset: number): bigint {
    checkIndex(vector, index);
    return this.#view.getBigInt64(vector.start + index * structSize + offset, true);
  }
}

function checkIndex(vector: FlatVector, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= vector.length) {
    throw new FlatBufferError(`index ${index} outside a vector of ${vector.length}`);
  }
}

function checkExtent(bytes: Uint8Array, start: number, size: number, what: string): void {
  if (start < 0 || size < 0 || start + size > bytes.byteLength) {
    throw new FlatBufferError(
      `${what} at ${start} (+${size} bytes) lies outside a buffer of ${bytes.byteLength} bytes`,
    );
  }
}
