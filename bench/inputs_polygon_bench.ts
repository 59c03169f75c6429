/**
 * Polygon replay benchmark: `deno run -A bench/inputs_polygon_bench.ts
 * [--rows 200000] [--runs 3] [--batch-rows 5000]`.
 *
 * Generates one trades_v1 flat file (CSV.gz in Polygon's column layout, rows
 * spread over 10 tickers) and replays it with the `polygon` input, per run:
 *
 * - "parse only": into a context that drops the rows (gunzip, line split,
 *   CSV parse, row checks, batching) — the input's own cost;
 * - "into buffer": into a fresh DuckDB buffer file through `AgentBuffer.append`
 *   (one transaction per batch, with the checkpoint), as the agent runs it.
 *
 * Prints rows/s (median and range over runs), MiB/s of CSV text and of gzip
 * read, rows per CPU-second of this process (all threads; steadier than
 * wall-clock figures on a shared machine) and its RSS, with the machine. Runs in well under a
 * minute with the defaults.
 *
 * @module
 */
import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import { createLogger } from "@tributary/shared/log";
import type { Kind, RowOf } from "@tributary/shared/records";
import { AgentBuffer } from "../agent/buffer/mod.ts";
import type { Checkpoint, InputContext } from "../agent/inputs/input.ts";
import { defaultPolygonConfig } from "../agent/inputs/polygon/config.ts";
import { tradeLines, writeGzFile } from "../agent/inputs/polygon/fixtures.ts";
import { createPolygonInput } from "../agent/inputs/polygon/mod.ts";
import { machineSummary } from "./machine.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "200000" },
    runs: { type: "string", default: "3" },
    "batch-rows": { type: "string", default: "5000" },
  },
});
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const BATCH = Number(values["batch-rows"]);

const TICKERS = ["AAPL", "MSFT", "NVDA", "TSLA", "SPY", "AMZN", "GOOGL", "META", "QQQ", "AMD"];

function rssMiB(): number {
  return Deno.memoryUsage().rss / 1024 / 1024;
}

/** Wall-clock and CPU seconds (user + system, all threads: DuckDB's too) of one replay. */
interface Timing {
  wall: number;
  cpu: number;
}

async function replayOnce(dir: string, buffer: AgentBuffer | undefined): Promise<Timing> {
  const log = createLogger({ level: "error" });
  let written = 0;
  const ctx: InputContext = {
    agent: "bench",
    id: "polygon#0",
    log,
    readCheckpoint: (name) =>
      buffer ? buffer.readCheckpoint("polygon#0", name) : Promise.resolve(undefined),
    rejected: () => {},
    async write<K extends Kind>(kind: K, rows: readonly RowOf[K][], checkpoint?: Checkpoint) {
      if (buffer) {
        await buffer.append(kind, rows, {
          checkpoint: checkpoint && { input: "polygon#0", ...checkpoint },
        });
      }
      written += rows.length;
    },
  };
  const input = createPolygonInput(
    { ...defaultPolygonConfig(), path: `${dir}/files`, progress: false, batch_rows: BATCH },
    ctx,
  );
  const t0 = performance.now();
  const cpu0 = cpuUsage();
  await input.start();
  await input.done;
  await input.stop();
  const cpu = cpuUsage(cpu0);
  const wall = (performance.now() - t0) / 1000;
  if (written !== ROWS) throw new Error(`replayed ${written} rows, expected ${ROWS}`);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

const dir = await Deno.makeTempDir({ prefix: "polygon-bench-" });
try {
  const lines = tradeLines({ rows: ROWS, tickers: TICKERS });
  const textBytes = lines.reduce((n, l) => n + l.length + 1, 0);
  const file = `${dir}/files/us_stocks_sip/trades_v1/2024/04/2024-04-05.csv.gz`;
  await writeGzFile(file, lines);
  const gzBytes = (await Deno.stat(file)).size;
  lines.length = 0;

  const rssStart = rssMiB();
  const parse: Timing[] = [];
  const buffered: Timing[] = [];
  for (let run = 0; run < RUNS; run++) {
    parse.push(await replayOnce(dir, undefined));
    const buffer = await AgentBuffer.open({ path: `${dir}/buffer-${run}.duckdb`, agent: "bench" });
    try {
      buffered.push(await replayOnce(dir, buffer));
    } finally {
      await buffer.close();
    }
  }
  const rssEnd = rssMiB();

  console.log(await machineSummary());
  console.log(
    `file:    ${fmt(ROWS)} trades, ${TICKERS.length} tickers, ${
      (textBytes / 2 ** 20).toFixed(1)
    } MiB CSV, ` +
      `${
        (gzBytes / 2 ** 20).toFixed(1)
      } MiB gzip; batch_rows ${BATCH}; ${RUNS} runs, median (min–max)`,
  );
  for (const [name, timings] of [["parse only", parse], ["into buffer", buffered]] as const) {
    const rates = timings.map((t) => ROWS / t.wall);
    const m = median(timings.map((t) => t.wall));
    const cpu = median(timings.map((t) => t.cpu));
    console.log(
      `${name.padEnd(12)} ${fmt(ROWS / m).padStart(10)} rows/s (${fmt(Math.min(...rates))}–${
        fmt(Math.max(...rates))
      }), ${(textBytes / 2 ** 20 / m).toFixed(1)} MiB/s CSV, ${
        (gzBytes / 2 ** 20 / m).toFixed(1)
      } MiB/s gzip; ${fmt(ROWS / cpu)} rows per CPU-second`,
    );
  }
  console.log(
    `RSS:     ${rssStart.toFixed(0)} MiB before the runs, ${rssEnd.toFixed(0)} MiB after`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
