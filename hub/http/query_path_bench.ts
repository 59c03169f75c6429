/**
 * Cost of answering `SELECT * FROM readings` (100k rows) in each format,
 * through the API's one query path on an in-memory hot store.
 * Run: `deno bench -A hub/http/query_path_bench.ts`.
 *
 * @module
 */
import { HotStore } from "../store/hot_store.ts";
import { makeBatch, seqRange } from "../testing/batches.ts";
import { RESULT_FORMATS } from "./formats/result_format.ts";
import { runApiQuery } from "./query_path.ts";

const ROWS = 100_000;
const store = await HotStore.open({ path: ":memory:" });
for (let i = 0; i < ROWS / 10_000; i++) {
  const seqs = seqRange(BigInt(i * 10_000 + 1), BigInt((i + 1) * 10_000));
  await store.ingest(makeBatch("readings", { seqs }), 0);
}
const sizes: Record<string, number> = {};

for (const format of RESULT_FORMATS) {
  Deno.bench(`runApiQuery ${ROWS} readings rows as ${format}`, async () => {
    const answer = await runApiQuery(store, {
      sql: "SELECT * FROM readings",
      options: { maxRows: ROWS },
      format,
    });
    sizes[format] = answer.body.byteLength;
  });
}

globalThis.addEventListener("unload", () => {
  for (const [format, bytes] of Object.entries(sizes)) {
    console.log(`${format}: ${(bytes / ROWS).toFixed(1)} bytes/row`);
  }
  store.close();
});
