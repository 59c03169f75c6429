/**
 * glibc's own accounting of the heap it manages, for the memory probes:
 * unlike RSS it tells bytes in use from free memory glibc keeps.
 *
 * Linux with glibc only (`mallinfo2` through FFI, glibc 2.33+).
 *
 * @module
 */

/** glibc's bytes in use by malloc (`uordblks` of `mallinfo2`). */
export function mallocInUse(): number {
  const libc = Deno.dlopen("libc.so.6", {
    mallinfo2: { parameters: [], result: { struct: Array(10).fill("usize") } },
  });
  try {
    const fields = new BigUint64Array((libc.symbols.mallinfo2() as Uint8Array).buffer);
    return Number(fields[7]);
  } finally {
    libc.close();
  }
}
