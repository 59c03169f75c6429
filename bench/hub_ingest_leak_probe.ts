/**
 * Native memory the hub keeps per ingested batch: ingests batches of
 * readings into a HotStore (default rollups on, as the hub runs) and prints
 * glibc's bytes in use (`mallinfo2`) after a major GC as it goes.
 *
 * Why: every DuckDB call creates N-API externals and Deno 2.9.6 never frees
 * their 32-byte wrappers (bench/duckdb_leak_probe.ts). The agent's drain was
 * measured; this measures the hub's ingest path, which runs for months.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/hub_ingest_leak_probe.ts [--batches 4000] [--rows 1000]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { HotStore } from "../hub/store/hot_store.ts";
import { makeBatch, seqRange } from "../hub/testing/batches.ts";
import { mallocInUse } from "@tributary/shared/glibc_malloc";
import type { GcFunction } from "../agent/buffer/heap_reclaim.ts";

const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      batches: { type: "string", default: "4000" },
      rows: { type: "string", default: "1000" },
    },
  });
  const batches = Number(values.batches);
  const rows = Number(values.rows);
  if (!(batches >= 8 && rows >= 1)) throw new Error("--batches must be >= 8 and --rows >= 1");
  const gc = (globalThis as { gc?: GcFunction }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  const dir = await Deno.makeTempDir({ prefix: "hub_ingest_leak_" });
  const store = await HotStore.open({ path: `${dir}/hub.duckdb` });
  try {
    const step = Math.floor(batches / 4);
    let first = 0;
    for (let i = 0; i <= batches; i++) {
      if (i > 0) {
        const from = BigInt((i - 1) * rows + 1);
        const batch = makeBatch("readings", { seqs: seqRange(from, from + BigInt(rows) - 1n) });
        await store.ingest(batch, 0);
      }
      if (i % step === 0) {
        gc({ type: "major" });
        const used = mallocInUse();
        if (i === 0) first = used;
        const perBatch = i === 0
          ? ""
          : `, ${((used - first) / i).toFixed(0)} B per batch since start`;
        console.log(`${i} batches: glibc in use ${(used / MiB).toFixed(2)} MiB${perBatch}`);
      }
    }
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
