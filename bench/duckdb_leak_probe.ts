/**
 * Native memory kept per DuckDB call under Deno: repeats one operation many
 * times and prints glibc's bytes in use (`mallinfo2`) as it goes.
 *
 * The cause, found with heaptrack: Deno 2.9's `napi_create_external` boxes a
 * 32-byte wrapper that nothing frees, and `@duckdb/node-api` creates an
 * external for every handle (prepared statement, pending result, result,
 * chunk, vector, logical type). So each operation keeps a few of those; the
 * modes show how many bytes per operation:
 *
 * - `stream`: a streamed `SELECT 1` (statement, prepared, pending, result, chunk)
 * - `run`: `conn.run("SELECT 1")` (one materialized result)
 * - `run-4`: four `conn.run` calls; `run-joined`: the same four statements as one call
 * - `readall`: `conn.runAndReadAll("SELECT 1")`
 * - `vector`: `DuckDBDataChunk.getColumnVector` on 3 columns (vector + its logical type)
 * - `vector-known`: the same through `chunkVector` with the types given (vector only)
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/duckdb_leak_probe.ts [--mode stream] \
 *   [--ops 40000] [--reconnect-every 0]
 * heaptrack deno run -A --v8-flags=--expose-gc bench/duckdb_leak_probe.ts --ops 20000
 * ```
 *
 * Linux with glibc only (mallinfo2 through FFI). Single figures move by
 * ±50 B per op between runs (glibc's accounting of V8's own allocations):
 * compare modes over a few runs.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  BIGINT,
  DOUBLE,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  VARCHAR,
} from "@duckdb/node-api";
import { chunkVector } from "@tributary/shared/sql/chunks";
import { mallocInUse } from "@tributary/shared/glibc_malloc";
import type { GcFunction } from "../agent/buffer/heap_reclaim.ts";

const MODES = [
  "stream",
  "run",
  "run-4",
  "run-joined",
  "readall",
  "vector",
  "vector-known",
] as const;
type Mode = typeof MODES[number];
const MiB = 1024 * 1024;

/** One operation of `mode`; `chunk` is a 2,048-row chunk of (BIGINT, DOUBLE, VARCHAR). */
async function operation(
  mode: Mode,
  conn: DuckDBConnection,
  chunk: DuckDBDataChunk,
): Promise<void> {
  switch (mode) {
    case "stream": {
      const result = await conn.stream("SELECT 1");
      while ((await result.fetchChunk())?.rowCount) {
        // Read to the end, as the buffer's reads do.
      }
      return;
    }
    case "run":
      await conn.run("SELECT 1");
      return;
    case "run-4":
      for (let i = 0; i < 4; i++) await conn.run("SELECT 1");
      return;
    case "run-joined":
      await conn.run("SELECT 1; SELECT 1; SELECT 1; SELECT 1");
      return;
    case "readall":
      await conn.runAndReadAll("SELECT 1");
      return;
    case "vector": {
      const fresh = new DuckDBDataChunk(chunk.chunk); // getColumnVector caches per object
      for (let i = 0; i < 3; i++) fresh.getColumnVector(i);
      return;
    }
    case "vector-known":
      [BIGINT, DOUBLE, VARCHAR].forEach((type, i) => chunkVector(chunk, i, type));
      return;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      mode: { type: "string", default: "stream" },
      ops: { type: "string", default: "40000" },
      "reconnect-every": { type: "string", default: "0" },
    },
  });
  const mode = values.mode as Mode;
  if (!MODES.includes(mode)) {
    throw new Error(`--mode: got ${values.mode}, expected one of ${MODES.join(", ")}`);
  }
  const ops = Number(values.ops);
  const reconnectEvery = Number(values["reconnect-every"]);
  const gc = (globalThis as { gc?: GcFunction }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  const db = await DuckDBInstance.create(":memory:");
  let conn = await db.connect();
  const source = await conn.run(
    "SELECT i::BIGINT AS a, i::DOUBLE AS b, 'x' || i AS c FROM range(2048) r(i)",
  );
  const chunk = await source.fetchChunk();
  if (chunk === null) throw new Error("no chunk");
  // Warm up first, so one-time allocations (plans, caches) are not counted.
  for (let i = 0; i < 200; i++) await operation(mode, conn, chunk);
  const step = Math.max(1, Math.floor(ops / 4));
  let first = 0;
  for (let i = 0; i <= ops; i++) {
    if (i > 0) await operation(mode, conn, chunk);
    if (i % 100 === 0) gc({ type: "minor" });
    if (reconnectEvery > 0 && i % reconnectEvery === reconnectEvery - 1) {
      conn.closeSync();
      conn = await db.connect();
    }
    if (i % step === 0) {
      gc({ type: "major" });
      const used = mallocInUse();
      if (i === 0) first = used;
      const perOp = i === 0 ? "" : `, ${((used - first) / i).toFixed(0)} B per op since start`;
      console.log(`${mode} ${i} ops: glibc in use ${(used / MiB).toFixed(2)} MiB${perOp}`);
    }
  }
  conn.closeSync();
  db.closeSync();
}

if (import.meta.main) await main();
