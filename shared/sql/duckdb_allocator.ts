/**
 * DuckDB's own allocator: its figures, and how soon it gives freed memory
 * back to the kernel.
 *
 * libduckdb.so (the @duckdb/node-bindings build for Linux) links its own
 * jemalloc, with every symbol prefixed `duckdb_je_`. So DuckDB's memory is
 * invisible to glibc (`mallinfo2`, the `MALLOC_*` settings of the agent's
 * systemd unit), and jemalloc keeps the pages DuckDB frees ("dirty", then
 * "muzzy") for a decay time before it returns them, purging only when the
 * allocator is busy. In the agent's drain DuckDB frees and allocates blocks
 * for every batch, and those kept pages were the largest part of the RSS over
 * idle: 33 MiB dirty of 47 MiB resident after 200 batches of a 96 MiB buffer
 * (docs/benchmarks.md, "DuckDB's allocator").
 *
 * Both are reached through jemalloc's control interface, `mallctl`, which
 * libduckdb.so exports as `duckdb_je_mallctl`: over FFI, in the copy of the
 * library this process already has mapped (so DuckDB must be loaded first).
 * Where there is no such library or export (a build without jemalloc),
 * {@linkcode openDuckdbAllocator} throws, saying why, and the caller goes on
 * without.
 *
 * @module
 */

/** Bytes in DuckDB's allocator, from jemalloc's `stats.*`. */
export interface DuckdbAllocatorStats {
  /** Bytes DuckDB holds (`stats.allocated`). */
  allocated: number;
  /** Bytes resident: in use, kept for reuse, and jemalloc's own metadata (`stats.resident`). */
  resident: number;
  /** Freed pages not yet given back, counted in RSS (`pdirty` of all arenas). */
  dirty: number;
  /** Freed pages lazily given back (MADV_FREE), counted in RSS until the kernel takes them (`pmuzzy`). */
  muzzy: number;
}

/** jemalloc's index for "all arenas" (`MALLCTL_ARENAS_ALL`). */
const ALL_ARENAS = 4096;
/** jemalloc's page size on Linux x86_64 and aarch64 builds (`LG_PAGE` 12). */
const PAGE = 4096;
/** `mallctl` return codes. */
const EFAULT = 14;

type Library = Deno.DynamicLibrary<{
  duckdb_je_mallctl: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "usize"];
    result: "i32";
  };
}>;

/** The path of the libduckdb.so this process has mapped, if any. */
export function mappedLibduckdb(
  maps: string = Deno.readTextFileSync("/proc/self/maps"),
): string | undefined {
  for (const line of maps.split("\n")) {
    // address perms offset dev inode path — the path is the sixth field.
    const path = line.trim().split(/\s+/, 6)[5];
    if (path?.endsWith("/libduckdb.so")) return path;
  }
  return undefined;
}

/**
 * DuckDB's jemalloc, open through FFI. Close it when done (the library stays
 * loaded: DuckDB holds it too).
 */
export class DuckdbAllocator {
  readonly #lib: Library;
  readonly #encoder = new TextEncoder();

  private constructor(lib: Library) {
    this.#lib = lib;
  }

  /** Opens the allocator of the libduckdb.so at `path`; throws if it has no `duckdb_je_mallctl`. */
  static openAt(path: string): DuckdbAllocator {
    return new DuckdbAllocator(
      Deno.dlopen(path, {
        duckdb_je_mallctl: {
          parameters: ["buffer", "pointer", "pointer", "pointer", "usize"],
          result: "i32",
        },
      }),
    );
  }

  /**
   * How long freed pages are kept before they go back to the kernel, for
   * every arena DuckDB uses now and any it makes later: 0 returns them at
   * once (a few more page faults), -1 never. jemalloc's `dirty_decay_ms` and
   * `muzzy_decay_ms` together.
   *
   * @throws {RangeError} when `ms` is not an integer >= -1.
   */
  setDecayMs(ms: number): void {
    if (!Number.isInteger(ms) || ms < -1) {
      throw new RangeError(
        `decay_ms: got ${ms}, expected an integer >= -1 (-1 keeps pages forever)`,
      );
    }
    for (const kind of ["dirty", "muzzy"]) {
      // The default of arenas made later, then each arena made so far.
      this.#writeSsize(`arenas.${kind}_decay_ms`, ms);
      const arenas = this.#readU32("arenas.narenas");
      for (let arena = 0; arena < arenas; arena++) {
        // EFAULT: an arena index jemalloc reserved but has not made yet; it gets the default above.
        this.#writeSsize(`arena.${arena}.${kind}_decay_ms`, ms, [EFAULT]);
      }
    }
  }

  /** The decay time of arena 0, where DuckDB's threads allocate by default. */
  decayMs(): { dirty: number; muzzy: number } {
    return {
      dirty: Number(this.#readSsize("arena.0.dirty_decay_ms")),
      muzzy: Number(this.#readSsize("arena.0.muzzy_decay_ms")),
    };
  }

  /** Gives every kept page back to the kernel now. */
  purge(): void {
    this.#ctl(`arena.${ALL_ARENAS}.purge`, null, null, null, 0n);
  }

  /** Current figures (jemalloc refreshes its statistics on demand, via `epoch`). */
  stats(): DuckdbAllocatorStats {
    this.#ctl("epoch", null, null, Deno.UnsafePointer.of(new BigUint64Array([1n])), 8n);
    return {
      allocated: Number(this.#readSize("stats.allocated")),
      resident: Number(this.#readSize("stats.resident")),
      dirty: Number(this.#readSize(`stats.arenas.${ALL_ARENAS}.pdirty`)) * PAGE,
      muzzy: Number(this.#readSize(`stats.arenas.${ALL_ARENAS}.pmuzzy`)) * PAGE,
    };
  }

  close(): void {
    this.#lib.close();
  }

  #ctl(
    name: string,
    oldp: Deno.PointerValue,
    oldlenp: Deno.PointerValue,
    newp: Deno.PointerValue,
    newlen: bigint,
    tolerated: number[] = [],
  ): void {
    const code = this.#lib.symbols.duckdb_je_mallctl(
      this.#encoder.encode(`${name}\0`),
      oldp,
      oldlenp,
      newp,
      newlen,
    );
    if (code !== 0 && !tolerated.includes(code)) {
      throw new Error(`DuckDB's allocator refused mallctl ${JSON.stringify(name)} (error ${code})`);
    }
  }

  #read<T extends BigUint64Array | BigInt64Array | Uint32Array>(name: string, out: T): T {
    const len = new BigUint64Array([BigInt(out.byteLength)]);
    this.#ctl(name, Deno.UnsafePointer.of(out), Deno.UnsafePointer.of(len), null, 0n);
    return out;
  }

  #readSize(name: string): bigint {
    return this.#read(name, new BigUint64Array(1))[0]!;
  }

  #readSsize(name: string): bigint {
    return this.#read(name, new BigInt64Array(1))[0]!;
  }

  #readU32(name: string): number {
    return this.#read(name, new Uint32Array(1))[0]!;
  }

  #writeSsize(name: string, value: number, tolerated: number[] = []): void {
    const v = new BigInt64Array([BigInt(value)]);
    this.#ctl(name, null, null, Deno.UnsafePointer.of(v), 8n, tolerated);
  }
}

/**
 * DuckDB's allocator in this process.
 *
 * @throws {Error} when there is none to reach: DuckDB not loaded yet, a
 * libduckdb.so without jemalloc's export, or no FFI permission.
 */
export function openDuckdbAllocator(): DuckdbAllocator {
  const path = mappedLibduckdb();
  if (path === undefined) {
    throw new Error("DuckDB's allocator: no libduckdb.so in this process (DuckDB not loaded yet)");
  }
  try {
    return DuckdbAllocator.openAt(path);
  } catch (error) {
    throw new Error(`DuckDB's allocator: cannot reach duckdb_je_mallctl in ${path}`, {
      cause: error,
    });
  }
}
