/**
 * A design probe for the buffer's layout, not product code: does keeping each
 * stream in bounded segment tables (a drained segment dropped whole) keep a
 * drain's CHECKPOINTs from loading every row group's column metadata, as they
 * do with one table per stream (docs/benchmarks.md, drain memory session 8)?
 *
 * ```sh
 * MALLOC_ARENA_MAX=2 deno run -A bench/segment_layout_probe.ts single
 * MALLOC_ARENA_MAX=2 deno run -A bench/segment_layout_probe.ts segments
 * ```
 *
 * Builds (once, in `--dir`) four tables of synthetic readings-shaped rows,
 * 12.5M rows each (as many row groups as a 1 GiB backlog, though the synthetic
 * rows compress far better), either as one table per stream or as tables of
 * 1M rows; then drains a copy the way the buffer does (5,000-row reads in seq
 * order, DELETE, a CHECKPOINT every 100,000 rows) and prints glibc's heap in
 * use. Its RSS is not the agent's: it reads with `runAndReadAll` and never
 * collects.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { mallocInUse } from "@tributary/shared/glibc_malloc";

const KINDS = ["readings", "logs", "trades", "quotes"];
const MiB = 1024 * 1024;

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    "rows-per-kind": { type: "string", default: "12500000" },
    "segment-rows": { type: "string", default: "1000000" },
    "drain-rows": { type: "string", default: "2000000" },
    dir: { type: "string", default: ".cache/segment_probe" },
  },
});
const layout = positionals[0];
if (layout !== "single" && layout !== "segments") {
  throw new Error(`layout: got ${JSON.stringify(layout)}, expected "single" or "segments"`);
}
const rowsPerKind = Number(values["rows-per-kind"]);
const segmentRows = layout === "single" ? rowsPerKind : Number(values["segment-rows"]);
const drainRows = Number(values["drain-rows"]);
const table = (kind: string, segment: number) =>
  layout === "single" ? kind : `${kind}_s${String(segment).padStart(4, "0")}`;

const glibc = (what: string) =>
  console.log(`${what}: glibc in use ${(mallocInUse() / MiB).toFixed(1)} MiB`);

await Deno.mkdir(values.dir, { recursive: true });
const master = join(values.dir, `${layout}-${rowsPerKind}-${segmentRows}.duckdb`);
const path = join(values.dir, `${layout}-drained.duckdb`);
if (!await Deno.stat(master).then(() => true, () => false)) {
  const instance = await DuckDBInstance.create(master);
  const conn = await instance.connect();
  for (const kind of KINDS) {
    for (let from = 1, s = 0; from <= rowsPerKind; from += segmentRows, s++) {
      const to = Math.min(rowsPerKind, from + segmentRows - 1);
      await conn.run(
        `CREATE TABLE ${table(kind, s)} AS SELECT i::BIGINT AS seq, ` +
          `1700000000000000000 + i * 1000 AS ts, 1700000000000000000 + i * 1000 AS recv_ts, ` +
          `'sensor-' || (i % 24) AS sensor, 'temperature' AS metric, (i % 1000) / 10.0 AS value, ` +
          `'degC' AS unit, '{"line":"' || (i % 3) || '"}' AS tags FROM range(${from}, ${
            to + 1
          }) t(i)`,
      );
    }
  }
  await conn.run("CHECKPOINT");
  conn.closeSync();
  instance.closeSync();
}
await Deno.copyFile(master, path);
// The buffer's settings: a 16 MiB cache, no vacuum (agent/buffer/buffer.ts).
const instance = await DuckDBInstance.create(path, {
  memory_limit: "16MiB",
  max_vacuum_tasks: "0",
});
const conn = await instance.connect();
try {
  glibc(`${layout}, open`);
  const cursor = new Map(KINDS.map((k) => [k, 0]));
  const head = new Map(KINDS.map((k) => [k, 0]));
  let retired = 0;
  let sinceCheckpoint = 0;
  let nextReport = 500_000;
  while (retired < drainRows) {
    for (const kind of KINDS) {
      const after = cursor.get(kind)!;
      const t = table(kind, head.get(kind)!);
      const rows = (await conn.runAndReadAll(
        `SELECT * FROM ${t} WHERE seq > ${after} ORDER BY seq LIMIT 5000`,
      )).currentRowCount;
      if (rows === 0) continue;
      const last = after + rows;
      await conn.run(`DELETE FROM ${t} WHERE seq BETWEEN ${after + 1} AND ${last}`);
      cursor.set(kind, last);
      if (layout === "segments" && last >= (head.get(kind)! + 1) * segmentRows) {
        await conn.run(`DROP TABLE ${t}`); // Drained: dropped whole, never rewritten.
        head.set(kind, head.get(kind)! + 1);
      }
      retired += rows;
      sinceCheckpoint += rows;
      if (sinceCheckpoint >= 100_000) {
        await conn.run("CHECKPOINT");
        sinceCheckpoint = 0;
      }
    }
    if (retired >= nextReport) {
      glibc(`${layout}, ${retired} rows drained`);
      nextReport += 500_000;
    }
  }
} finally {
  conn.closeSync();
  instance.closeSync();
  await Deno.remove(path);
}
