/**
 * Ingest throughput of the hot store: 100k readings in batches of 10k rows,
 * into a DuckDB file. Run: `deno bench -A hub/store/hot_store_bench.ts`.
 *
 * @module
 */
import { HotStore } from "./hot_store.ts";
import { makeBatch, seqRange } from "../testing/batches.ts";

const ROWS = 100_000;
const BATCH_ROWS = 10_000;
const batches = Array.from(
  { length: ROWS / BATCH_ROWS },
  (_, i) =>
    makeBatch("readings", {
      seqs: seqRange(BigInt(i * BATCH_ROWS + 1), BigInt((i + 1) * BATCH_ROWS)),
    }),
);

Deno.bench(`HotStore.ingest ${ROWS} readings rows (${BATCH_ROWS}-row batches)`, async (b) => {
  const dir = await Deno.makeTempDir();
  const store = await HotStore.open({ path: `${dir}/hub.duckdb` });
  b.start();
  for (const batch of batches) await store.ingest(batch, 0);
  b.end();
  await store.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.bench(`HotStore.ingest ${ROWS} duplicate readings rows`, async (b) => {
  const dir = await Deno.makeTempDir();
  const store = await HotStore.open({ path: `${dir}/hub.duckdb` });
  for (const batch of batches) await store.ingest(batch, 0);
  b.start();
  for (const batch of batches) await store.ingest(batch, 0);
  b.end();
  await store.close();
  await Deno.remove(dir, { recursive: true });
});
