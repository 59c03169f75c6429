/**
 * A child process for duckdb_allocator_test.ts: DuckDB's allocator is one per
 * process, and test modules share a process (`deno test --parallel`), so the
 * decay is changed and observed here, alone. Prints one JSON line of figures.
 *
 * @module
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { openDuckdbAllocator } from "../duckdb_allocator.ts";

const instance = await DuckDBInstance.create(":memory:");
const conn = await instance.connect();
const allocator = openDuckdbAllocator();
const fill = (table: string) =>
  conn.run(`CREATE TABLE ${table} AS SELECT range AS x, range::VARCHAR AS s FROM range(1000000)`);

await fill("t");
const loaded = allocator.stats();

allocator.setDecayMs(0);
const decayZero = allocator.decayMs();
await conn.run("DROP TABLE t");
const dirtyAfterDropNoDecay = allocator.stats().dirty;

allocator.setDecayMs(60_000);
const decayLong = allocator.decayMs();
await fill("u");
await conn.run("DROP TABLE u");
const dirtyAfterDropLongDecay = allocator.stats().dirty;
allocator.purge();
const dirtyAfterPurge = allocator.stats().dirty;

allocator.close();
conn.closeSync();
instance.closeSync();
console.log(JSON.stringify({
  loaded,
  decayZero,
  dirtyAfterDropNoDecay,
  decayLong,
  dirtyAfterDropLongDecay,
  dirtyAfterPurge,
}));
