/**
 * What rollups cost at ingest: the same batches through HotStore with rollups
 * off (baseline) and on, into a DuckDB file.
 *
 * - `readings`: 100 sensors, one reading each per 100 ms (10k-row batches = 10 s,
 *   so each batch touches ~100-200 sensor minutes);
 * - `trades`: 20 symbols, 1000 trades/s (each batch touches ~200 1 s bars, ~20-40
 *   1 min bars and ~20 1 h bars);
 * - worst case: `readings` where every row is its own sensor (every row a new bucket).
 *
 * Run: `deno bench -A hub/rollups/rollups_bench.ts` (about a minute).
 *
 * @module
 */
import type { Batch, ColumnValues, Kind } from "@tributary/shared/records";
import { HotStore } from "../store/hot_store.ts";
import { makeBatch, seqRange } from "../testing/batches.ts";
import { defaultRollupConfig } from "./config.ts";

const ROWS = 100_000;
const BATCH_ROWS = 10_000;
const START_NS = 1_767_603_600_000_000_000n;

function timeLocalBatches(kind: Kind, keys: number, stepNs: bigint): Batch[] {
  const batches: Batch[] = [];
  for (let first = 0; first < ROWS; first += BATCH_ROWS) {
    const n = BATCH_ROWS;
    const seq = BigInt64Array.from({ length: n }, (_, i) => BigInt(first + i + 1));
    const ts = seq.map((s) => START_NS + s * stepNs);
    const key = Array.from({ length: n }, (_, i) => `k${(first + i) % keys}`);
    const float = () => Float64Array.from({ length: n }, (_, i) => 100 + ((first + i) % 97) / 10);
    const text = (value: string) => Array.from({ length: n }, () => value);
    const columns: Record<string, ColumnValues> = kind === "readings"
      ? {
        seq,
        ts,
        recv_ts: ts,
        sensor: key,
        metric: text("temperature"),
        value: float(),
        unit: text("degC"),
        tags: text("{}"),
      }
      : {
        seq,
        ts,
        recv_ts: ts,
        symbol: key,
        price: float(),
        size: float(),
        exchange: new Int32Array(n),
        conditions: Array.from({ length: n }, () => new Int32Array(0)),
        trade_id: text(""),
      };
    batches.push({
      agent: "bench",
      stream: kind,
      firstSeq: seq[0]!,
      lastSeq: seq[n - 1]!,
      rowCount: n,
      columns,
    });
  }
  return batches;
}

const cases: Array<[string, Batch[]]> = [
  ["readings, 100 sensors", timeLocalBatches("readings", 100, 1_000_000n)],
  ["trades, 20 symbols, 1s/1m/1h bars", timeLocalBatches("trades", 20, 1_000_000n)],
  [
    "readings, every row its own sensor (worst case)",
    Array.from(
      { length: ROWS / BATCH_ROWS },
      (_, i) =>
        makeBatch("readings", {
          seqs: seqRange(BigInt(i * BATCH_ROWS + 1), BigInt((i + 1) * BATCH_ROWS)),
        }),
    ),
  ],
];

for (const [name, batches] of cases) {
  for (const enabled of [false, true]) {
    Deno.bench({
      name: `${ROWS} rows, rollups ${enabled ? "on" : "off"}`,
      group: name,
      baseline: !enabled,
      n: 5,
      warmup: 1,
      async fn(b) {
        const dir = await Deno.makeTempDir();
        const store = await HotStore.open({
          path: `${dir}/hub.duckdb`,
          rollups: { ...defaultRollupConfig(), enabled },
        });
        b.start();
        for (const batch of batches) await store.ingest(batch, 0);
        b.end();
        await store.close();
        await Deno.remove(dir, { recursive: true });
      },
    });
  }
}
