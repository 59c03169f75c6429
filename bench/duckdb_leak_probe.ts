/**
 * Native memory that @duckdb/node-api keeps per query: runs a trivial query
 * many times and prints glibc's bytes in use (`mallinfo2`) as it goes. The
 * agent's drain creeps by ~0.8 MiB per million rows in glibc's heap while V8
 * and DuckDB's own accounting stay flat (docs/benchmarks.md, "Drain memory
 * (session 4)"); this isolates that from the buffer.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/duckdb_leak_probe.ts [--mode stream|run|readall] \
 *   [--queries 40000] [--reconnect-every 0]
 * ```
 *
 * Linux with glibc only (mallinfo2 through FFI).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";

const MODES = ["stream", "run", "readall"] as const;
const MiB = 1024 * 1024;

/** glibc's bytes in use by malloc (`uordblks` of `mallinfo2`). */
function mallocInUse(): number {
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      mode: { type: "string", default: "stream" },
      queries: { type: "string", default: "40000" },
      "reconnect-every": { type: "string", default: "0" },
    },
  });
  const mode = values.mode as typeof MODES[number];
  if (!MODES.includes(mode)) throw new Error(`--mode: got ${values.mode}, expected ${MODES}`);
  const queries = Number(values.queries);
  const reconnectEvery = Number(values["reconnect-every"]);
  const gc = (globalThis as { gc?: (o: { type: "minor" | "major" }) => void }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  const db = await DuckDBInstance.create(":memory:");
  let conn = await db.connect();
  const step = Math.max(1, Math.floor(queries / 4));
  let first = 0;
  for (let i = 0; i <= queries; i++) {
    if (mode === "run") await conn.run("SELECT 1");
    else if (mode === "readall") await conn.runAndReadAll("SELECT 1");
    else {
      const result = await conn.stream("SELECT 1");
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0;) {
        chunk = await result.fetchChunk();
      }
    }
    if (i % 100 === 0) gc({ type: "minor" });
    if (reconnectEvery > 0 && i % reconnectEvery === reconnectEvery - 1) {
      conn.closeSync();
      conn = await db.connect();
    }
    if (i % step === 0) {
      gc({ type: "major" });
      const used = mallocInUse();
      if (i === 0) first = used;
      const perQuery = i === 0
        ? ""
        : `, ${((used - first) / i).toFixed(0)} B per query since start`;
      console.log(`${mode} ${i} queries: glibc in use ${(used / MiB).toFixed(2)} MiB${perQuery}`);
    }
  }
  conn.closeSync();
  db.closeSync();
}

if (import.meta.main) await main();
