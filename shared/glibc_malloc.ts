/**
 * glibc's own accounting of the heap it manages (`mallinfo2`, through FFI):
 * unlike RSS it tells bytes in use from free memory glibc keeps. For the
 * agent's `/metrics` and the memory probes. DuckDB's memory is not here (it
 * has its own allocator, see sql/duckdb_allocator.ts); V8's heap is not either.
 *
 * Linux with glibc 2.33+ only: elsewhere (musl) {@linkcode mallocInfo} returns
 * undefined.
 *
 * @module
 */

/** glibc's figures, bytes. */
export interface MallocInfo {
  /** Bytes in use by malloc in its arenas (`uordblks`). */
  inUse: number;
  /** Free bytes glibc keeps in its arenas (`fordblks`): resident until trimmed. */
  free: number;
  /** Bytes in chunks glibc mapped on their own (`hblkhd`), all in use. */
  mmapped: number;
}

/** glibc's figures now, or undefined where there is no glibc `mallinfo2`. */
export function mallocInfo(): MallocInfo | undefined {
  let libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      mallinfo2: { parameters: [], result: { struct: Array(10).fill("usize") } },
    });
  } catch {
    return undefined;
  }
  try {
    // struct mallinfo2: arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost.
    const f = new BigUint64Array((libc.symbols.mallinfo2() as Uint8Array).buffer);
    return { inUse: Number(f[7]), free: Number(f[8]), mmapped: Number(f[4]) };
  } finally {
    libc.close();
  }
}

/** glibc's bytes in use by malloc (`uordblks`), 0 without glibc. */
export function mallocInUse(): number {
  return mallocInfo()?.inUse ?? 0;
}
