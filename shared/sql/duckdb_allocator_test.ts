import { assert, assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { DuckDBInstance } from "@duckdb/node-api";
import { mappedLibduckdb, openDuckdbAllocator } from "./duckdb_allocator.ts";

const MiB = 1024 * 1024;

Deno.test("mappedLibduckdb finds the library's path in a maps listing", () => {
  const maps = [
    "55d0c0000000-55d0c0001000 r--p 00000000 fe:00 1 /usr/bin/deno",
    "7f00a0000000-7f00a0400000 r-xp 00000000 fe:00 2 /opt/x/node_modules/libduckdb.so",
    "7f00b0000000-7f00b0001000 rw-p 00000000 00:00 0 ",
  ].join("\n");
  assertEquals(mappedLibduckdb(maps), "/opt/x/node_modules/libduckdb.so");
  assertEquals(
    mappedLibduckdb("7f00b0000000-7f00b0001000 rw-p 00000000 00:00 0 [heap]"),
    undefined,
  );
});

Deno.test("DuckDB's allocator: decay set on every arena, figures read, pages purged", async () => {
  const child = new URL("./testdata/duckdb_allocator_child.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", child.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const f = JSON.parse(new TextDecoder().decode(out.stdout));
  // A million rows held: DuckDB's bytes show in its allocator's figures.
  assert(f.loaded.allocated > 8 * MiB, JSON.stringify(f.loaded));
  assert(f.loaded.resident >= f.loaded.allocated, JSON.stringify(f.loaded));
  // No decay: the freed table goes back to the kernel at once.
  assertEquals(f.decayZero, { dirty: 0, muzzy: 0 });
  assertEquals(f.dirtyAfterDropNoDecay, 0);
  // A long decay keeps the freed pages, until a purge.
  assertEquals(f.decayLong, { dirty: 60_000, muzzy: 60_000 });
  assert(f.dirtyAfterDropLongDecay > MiB, `dirty ${f.dirtyAfterDropLongDecay}`);
  assertEquals(f.dirtyAfterPurge, 0);
});

Deno.test("DuckDB's allocator: a decay below -1 or not whole is refused, naming the value", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const allocator = openDuckdbAllocator();
  try {
    assertThrows(() => allocator.setDecayMs(-2), RangeError, "decay_ms: got -2");
    assertThrows(() => allocator.setDecayMs(1.5), RangeError, "expected an integer >= -1");
  } finally {
    allocator.close();
    instance.closeSync();
  }
});
