/**
 * Whether the buffer file stays bounded over many fill-and-drain cycles with
 * given DuckDB settings (e.g. `max_vacuum_tasks=0`): each cycle appends rows
 * of every kind, then ships them as the shipper does, batches acknowledged
 * out of order within a window, and leaves the newest batch of each kind
 * unacknowledged until the next cycle. Prints used and free blocks after
 * every few cycles and the peak RSS.
 *
 * ```sh
 * deno run -A bench/buffer_refill_probe.ts [--cycles 40] [--rows 100000] [--duckdb max_vacuum_tasks=0]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { type Kind, KINDS } from "@tributary/shared/records";
import { AgentBuffer } from "../agent/buffer/mod.ts";
import { backlogPool } from "./drain_bench.ts";

const BATCH_ROWS = 5000;
const MiB = 1024 * 1024;

/** `items` with each consecutive group of 4 reversed: acks out of order, but every one arrives. */
function outOfOrder<T>(items: T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < items.length; i += 4) out.push(...items.slice(i, i + 4).reverse());
  return out;
}

async function blocks(buffer: AgentBuffer): Promise<string> {
  const result = await buffer.query(
    "SELECT used_blocks, free_blocks FROM pragma_database_size() WHERE database_name = 'buffer'",
  );
  const [row] = result.rows as unknown[][];
  return `${row?.[0]} used, ${row?.[1]} free`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      cycles: { type: "string", default: "40" },
      rows: { type: "string", default: "100000" },
      duckdb: { type: "string", multiple: true, default: [] },
    },
  });
  const cycles = Number(values.cycles);
  const rowsPerCycle = Number(values.rows);
  const settings = Object.fromEntries(values.duckdb.map((kv) => kv.split("=", 2)));
  const pool = backlogPool();
  const dir = await Deno.makeTempDir({ prefix: "refill_probe_" });
  const buffer = await AgentBuffer.open({
    path: join(dir, "buffer.duckdb"),
    agent: "edge-1",
    duckdbSettings: settings,
  });
  console.log(
    `duckdb ${JSON.stringify(settings)}, ${cycles} cycles of ${rowsPerCycle} rows per kind`,
  );
  let peak = 0;
  const cursor = new Map<Kind, bigint>(KINDS.map((k) => [k, 0n]));
  const held = new Map<Kind, { first: bigint; last: bigint }>();
  try {
    for (let cycle = 1; cycle <= cycles; cycle++) {
      for (const kind of KINDS) {
        for (let n = 0; n < rowsPerCycle; n += BATCH_ROWS) {
          const rows = pool[kind];
          const from = n % (rows.length - BATCH_ROWS);
          await buffer.append(kind, rows.slice(from, from + BATCH_ROWS));
        }
      }
      for (const kind of KINDS) {
        const batches: { first: bigint; last: bigint }[] = [];
        for (;;) {
          const batch = await buffer.readBatch(kind, cursor.get(kind)!, BATCH_ROWS);
          if (batch === undefined) break;
          batches.push({ first: batch.firstSeq, last: batch.lastSeq });
          cursor.set(kind, batch.lastSeq);
        }
        // The batch held back last cycle is acknowledged now; this cycle's newest waits.
        const previous = held.get(kind);
        if (previous) batches.unshift(previous);
        const newest = batches.pop();
        if (newest) held.set(kind, newest);
        for (const b of outOfOrder(batches)) await buffer.retire(kind, b.first, b.last);
      }
      peak = Math.max(peak, Deno.memoryUsage().rss);
      if (cycle % 5 === 0 || cycle === 1) {
        console.log(`cycle ${cycle}: blocks ${await blocks(buffer)}`);
      }
    }
    console.log(`peak RSS ${(peak / MiB).toFixed(0)} MiB`);
  } finally {
    await buffer.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
