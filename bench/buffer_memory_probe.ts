/**
 * Where the agent's memory goes while it drains a backlog, without network:
 * the buffer's own loop (readBatch → encode → retire) on a prefilled buffer
 * file, printing RSS, V8 heap and external memory as it goes. The drain bench
 * (bench/drain_bench.ts) measures the whole agent; this isolates the buffer,
 * so DuckDB settings, V8 flags and the parts of the loop can be compared.
 *
 * ```sh
 * deno run -A bench/buffer_memory_probe.ts --mib 96 --mode full
 * MALLOC_ARENA_MAX=2 deno run -A --v8-flags=--expose-gc,--max-semi-space-size=1 \
 *   bench/buffer_memory_probe.ts --duckdb memory_limit=32MB --checkpoint-every 200000
 * ```
 *
 * The backlog is prefilled once into `--cache` (default `.cache/memory_probe/`)
 * and copied for each run, since a run empties it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { KINDS } from "@tributary/shared/records";
import { encodeBatch } from "@tributary/shared/wire";
import { AgentBuffer, DEFAULT_CHECKPOINT_EVERY_ROWS } from "../agent/buffer/mod.ts";
import { prefillBacklog } from "./drain_bench.ts";
import { machineSummary } from "./machine.ts";
import { mallocInUse } from "@tributary/shared/glibc_malloc";
import { type DuckdbAllocator, openDuckdbAllocator } from "@tributary/shared/sql/duckdb_allocator";

const MODES = ["full", "read", "retire", "noencode", "open"] as const;
type Mode = typeof MODES[number];

const HELP = `buffer_memory_probe: memory of the buffer's drain loop, no network.
  --mib N               backlog size, MiB of DuckDB file (default 96)
  --mode M              full (read+encode+retire), noencode (read+retire),
                        read (read only), retire (retire only), open (idle RSS
                        after opening, nothing drained) (default full)
  --duckdb K=V          a DuckDB setting of the buffer, repeatable (e.g. memory_limit=32MB;
                        the buffer's own default is 16 MiB)
  --checkpoint-every N  CHECKPOINT after N retired rows (default: the buffer's, ${DEFAULT_CHECKPOINT_EVERY_ROWS})
  --cache DIR           where the prefilled backlog is kept (default .cache/memory_probe)
  --one-at-a-time       drain the kinds one after another instead of in turn (as the end of
                        an agent's drain, when the streams with small rows are done first)
  --allocator-decay-ms N  how long DuckDB's allocator keeps freed memory, ms; -1 leaves
                        DuckDB's own (1000) (default 0, as the agent: [buffer] allocator_decay_ms)
  --forget-totals       clear the stored backlog totals first, so open() measures every row
                        (as every open did before the totals were stored)
`;

const MiB = 1024 * 1024;

/** DuckDB's allocator, once the buffer has loaded DuckDB (its memory is not glibc's). */
let duckdbAllocator: DuckdbAllocator | undefined;

function memory(): string {
  const m = Deno.memoryUsage();
  const f = (n: number) => (n / MiB).toFixed(0);
  const { anon, file } = rssSplit();
  const d = duckdbAllocator?.stats();
  const duckdb = d
    ? `, DuckDB allocated ${f(d.allocated)} resident ${f(d.resident)} (dirty ${f(d.dirty)}, muzzy ${
      f(d.muzzy)
    }) MiB`
    : "";
  return `rss ${f(m.rss)} MiB (anon ${f(anon)}, file-backed ${f(file)}), V8 heap ${f(m.heapUsed)}/${
    f(m.heapTotal)
  } MiB, external ${f(m.external)} MiB, glibc in use ${f(mallocInUse())} MiB${duckdb}`;
}

/**
 * RSS split into anonymous memory (heaps: V8, malloc, DuckDB) and file-backed
 * pages (the deno and libduckdb code paged in as new paths run), from
 * /proc/self/smaps_rollup: the second grows too, and is not a leak.
 */
function rssSplit(): { anon: number; file: number } {
  const text = Deno.readTextFileSync("/proc/self/smaps_rollup");
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0) * 1024;
  const rss = kib("Rss");
  const anon = kib("Anonymous");
  return { anon, file: rss - anon };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      mib: { type: "string", default: "96" },
      mode: { type: "string", default: "full" },
      duckdb: { type: "string", multiple: true, default: [] },
      "checkpoint-every": { type: "string", default: String(DEFAULT_CHECKPOINT_EVERY_ROWS) },
      cache: { type: "string", default: ".cache/memory_probe" },
      "allocator-decay-ms": { type: "string", default: "0" },
      "forget-totals": { type: "boolean", default: false },
      "one-at-a-time": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const mode = values.mode as Mode;
  if (!MODES.includes(mode)) throw new Error(`--mode: got ${values.mode}, expected ${MODES}`);
  const mib = Number(values.mib);
  const settings = Object.fromEntries(values.duckdb.map((kv) => kv.split("=", 2)));

  const master = join(values.cache, `${mib}mib`);
  if (!await exists(join(master, "buffer.duckdb"))) {
    await Deno.mkdir(master, { recursive: true });
    const b = await prefillBacklog(master, "edge-1", mib);
    console.log(`prefilled ${b.rowsPerKind} rows per kind in ${b.seconds.toFixed(0)} s`);
  }
  const dir = await Deno.makeTempDir({ prefix: "memory_probe_" });
  try {
    const path = join(dir, "buffer.duckdb");
    await Deno.copyFile(join(master, "buffer.duckdb"), path);
    if (values["forget-totals"]) await forgetTotals(path);
    console.log(machineSummary());
    console.log(`mode ${mode}, duckdb ${JSON.stringify(settings)}, args ${Deno.args.join(" ")}`);
    const buffer = await AgentBuffer.open({
      path,
      agent: "edge-1",
      checkpointEveryRows: Number(values["checkpoint-every"]),
      duckdbSettings: settings,
    });
    duckdbAllocator = openDuckdbAllocator();
    const decayMs = Number(values["allocator-decay-ms"]);
    if (decayMs >= 0) duckdbAllocator.setDecayMs(decayMs);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const idle = Deno.memoryUsage().rss;
      console.log(`idle: ${memory()}`);
      if (mode === "open") return;
      let peak = idle;
      let peakAtRows = 0;
      let rows = 0;
      const after = new Map(KINDS.map((k) => [k, 0n]));
      const started = performance.now();
      for (let more = true; more;) {
        more = false;
        // One at a time: only the first kind with rows left takes a turn.
        const turn = values["one-at-a-time"]
          ? KINDS.filter((k) => after.get(k)! < buffer.lastAssignedSeq(k)).slice(0, 1)
          : KINDS;
        for (const kind of turn) {
          const from = after.get(kind)!;
          if (mode === "retire") {
            if (from >= buffer.lastAssignedSeq(kind)) continue;
            await buffer.retire(kind, from + 1n, from + 5000n);
            after.set(kind, from + 5000n);
            rows += 5000;
            more = true;
            continue;
          }
          const batch = await buffer.readBatch(kind, from, 5000);
          if (!batch) continue;
          more = true;
          if (mode === "full" || mode === "read") encodeBatch(batch, { codec: "zstd" });
          if (mode !== "read") await buffer.retire(kind, batch.firstSeq, batch.lastSeq);
          after.set(kind, batch.lastSeq);
          rows += batch.rowCount;
        }
        const rss = Deno.memoryUsage().rss;
        if (rss > peak) [peak, peakAtRows] = [rss, rows];
        if (rows % 500_000 < 20_000) console.log(`${rows} rows: ${memory()}`);
      }
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `done: ${rows} rows in ${seconds.toFixed(1)} s = ${(rows / seconds).toFixed(0)} rows/s; ` +
          `RSS idle ${(idle / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB (+${
            ((peak - idle) / MiB).toFixed(0)
          }, after ${peakAtRows} rows)`,
      );
    } finally {
      duckdbAllocator.close();
      duckdbAllocator = undefined;
      await buffer.close();
    }
    console.log(`buffer file after close: ${await blocksInUse(path)}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The file's size and its used and free blocks: what a drain left behind
 * (DuckDB reuses free blocks; row groups it did not compact stay used).
 */
async function blocksInUse(path: string): Promise<string> {
  const size = (await Deno.stat(path)).size;
  const db = await DuckDBInstance.create(path);
  try {
    const conn = await db.connect();
    try {
      const [row] = (await conn.runAndReadAll(
        "SELECT used_blocks, free_blocks, block_size FROM pragma_database_size()",
      )).getRows();
      return `${(size / MiB).toFixed(1)} MiB, ${row?.[0]} blocks used, ${row?.[1]} free (of ${
        row?.[2]
      } B)`;
    } finally {
      conn.closeSync();
    }
  } finally {
    db.closeSync();
  }
}

/** Clears `streams.backlog_rows/bytes` in the buffer file at `path`. */
async function forgetTotals(path: string): Promise<void> {
  // A child process, so DuckDB's cache of this pass does not count in the probe's RSS.
  const script = `import { DuckDBInstance } from "@duckdb/node-api";
    const db = await DuckDBInstance.create(${JSON.stringify(path)});
    const c = await db.connect();
    await c.run("UPDATE streams SET backlog_rows = NULL, backlog_bytes = NULL");
    c.closeSync(); db.closeSync(); undefined;`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("could not clear the stored totals");
}

if (import.meta.main) await main();
