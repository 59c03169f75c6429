/**
 * Parquet tier benchmark: bytes per row in Parquet per kind, tiering
 * throughput, and query latency hot vs cold for three typical queries.
 *
 * One simulated day per kind is written straight into a hub DuckDB file, the
 * queries run while every row is hot, one tier pass moves the whole day to
 * Parquet (one object per kind and hour), and the queries run again over cold
 * data: first with an empty cache (objects fetched), then cached. A
 * compaction pass then merges each day into one object (bytes per row of both
 * shapes are printed).
 *
 * Usage: `deno run -A bench/tier_bench.ts [--s3] [--scale 1]`
 *   --s3     tier to a local S3Proxy (started here) instead of a folder
 *   --scale  multiplies the row counts (1: about 3.7 million rows in all)
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createLogger } from "@tributary/shared/log";
import { type Kind, KINDS } from "@tributary/shared/records";
import { HotStore } from "../hub/store/hot_store.ts";
import { defaultTierConfig, type S3TierConfig } from "../hub/tier/config.ts";
import { duckdbTierDirectories, TierService } from "../hub/tier/mod.ts";
import { insertSyntheticRows } from "../hub/tier/synthetic_rows.ts";
import { S3ObjectStore } from "../hub/tier/s3_object_store.ts";
import type { ObjectStore } from "../hub/tier/object_store.ts";
import { machineSummary } from "./machine.ts";

const args = parseArgs({
  args: Deno.args,
  options: { s3: { type: "boolean", default: false }, scale: { type: "string", default: "1" } },
});
const scale = Number(args.values.scale);
const DAY_START = 1_794_960_000_000_000_000n; // 2026-11-18T00:00:00Z
const DAY_NS = 86_400_000_000_000n;

/** One day per kind: rows and series. */
const DATA: Record<Kind, { rows: number; series: number }> = {
  readings: { rows: Math.round(1_728_000 * scale), series: 100 }, // 100 sensors every 5 s
  logs: { rows: Math.round(432_000 * scale), series: 20 }, // 5 lines/s
  trades: { rows: Math.round(864_000 * scale), series: 20 }, // 10 trades/s over 20 symbols
  quotes: { rows: Math.round(691_200 * scale), series: 20 }, // 8 quotes/s
};

const QUERIES: { name: string; sql: string }[] = [
  {
    name: "latest value per sensor",
    sql: "SELECT sensor, arg_max(value, ts) AS value, max(ts) AS ts FROM readings GROUP BY sensor",
  },
  {
    name: "1 day of 1-min OHLCV, one symbol",
    sql: `SELECT time_bucket(INTERVAL 1 MINUTE, ts::TIMESTAMP) AS minute,
            arg_min(price, ts) AS open, max(price) AS high, min(price) AS low,
            arg_max(price, ts) AS close, sum(size) AS volume
          FROM trades WHERE symbol = 'SYM7'
            AND ts >= TIMESTAMP '2026-11-18 00:00:00' AND ts < TIMESTAMP '2026-11-19 00:00:00'
          GROUP BY minute ORDER BY minute`,
  },
  {
    name: "1 h per-minute avg, all sensors",
    sql: `SELECT time_bucket(INTERVAL 1 MINUTE, ts::TIMESTAMP) AS minute, avg(value) AS avg
          FROM readings
          WHERE ts >= TIMESTAMP '2026-11-18 12:00:00' AND ts < TIMESTAMP '2026-11-18 13:00:00'
          GROUP BY minute ORDER BY minute`,
  },
];

const dir = await Deno.makeTempDir({ prefix: "tributary-tier-bench-" });
let s3: { stop(): Promise<void> } | undefined;
let s3Config: S3TierConfig | undefined;
if (args.values.s3) {
  const { startS3Proxy } = await import("../tests/harness/s3proxy.ts");
  const server = await startS3Proxy({ buckets: ["bench"] });
  s3 = server;
  s3Config = {
    ...defaultTierConfig().s3,
    endpoint: server.endpoint,
    bucket: "bench",
    access_key_id: server.accessKeyId,
    secret_access_key: server.secretAccessKey,
  };
}
/** A new client per tier service: stopping a service closes its store. */
const objectStore = (): ObjectStore | undefined =>
  s3Config ? new S3ObjectStore(s3Config) : undefined;
const config = defaultTierConfig();
config.enabled = false;
config.compact_below_bytes = 0;
for (const kind of KINDS) config.kinds[kind].hot_retention_s = 3600;
const store = await HotStore.open({
  path: join(dir, "hub.duckdb"),
  allowedDirectories: duckdbTierDirectories(config, dir),
});
let now = DAY_START + DAY_NS + 2n * 3_600_000_000_000n;
const tier = new TierService({
  config,
  dataDir: dir,
  database: store,
  log: createLogger({ level: "error" }),
  now: () => now,
  store: objectStore(),
});

try {
  console.log(`# Tier benchmark — ${await machineSummary()}`);
  console.log(`store: ${args.values.s3 ? "S3Proxy (loopback)" : "local folder"}, scale ${scale}`);
  await tier.start();
  const writer = await store.connect();
  let totalRows = 0;
  for (const kind of KINDS) {
    const { rows, series } = DATA[kind];
    totalRows += await insertSyntheticRows(writer, kind, {
      fromNs: DAY_START,
      rows,
      stepNs: DAY_NS / BigInt(rows),
      series,
    });
  }
  await writer.run("CHECKPOINT");

  const hot = await timeQueries(5);

  const started = performance.now();
  const report = await tier.runPass();
  const seconds = (performance.now() - started) / 1000;
  if (report.errors.length > 0) throw new Error(report.errors.join("; "));
  const hourly = await bytesPerRow(writer);

  // Cold, objects not cached yet: the first run fetches them.
  await tier.stop(); // a new service empties its cache folder
  const cold = await withFreshTier(async (service) => {
    const first = await timeQueries(1, service);
    const cached = await timeQueries(5, service);
    config.compact_below_bytes = 64 * 1024 * 1024;
    now += 1n;
    await service.runPass();
    return { first, cached };
  });
  const compacted = await bytesPerRow(writer);
  writer.closeSync();

  console.log(
    `\nTiering: ${totalRows} rows in ${report.objectsWritten} objects, ` +
      `${seconds.toFixed(1)} s = ${Math.round(totalRows / seconds).toLocaleString("en")} rows/s ` +
      `(COPY to Parquet, upload, verify, catalog + hot delete)`,
  );
  console.log(
    "\n| kind | rows | bytes/row (hourly objects) | bytes/row (compacted to one per day) |",
  );
  console.log("|---|---:|---:|---:|");
  for (const kind of KINDS) {
    console.log(
      `| ${kind} | ${DATA[kind].rows} | ${hourly[kind]?.toFixed(1)} | ${
        compacted[kind]?.toFixed(1)
      } |`,
    );
  }
  console.log("\n| query | hot p50 ms | cold, first run (fetch) ms | cold, cached p50 ms |");
  console.log("|---|---:|---:|---:|");
  for (const q of QUERIES) {
    console.log(
      `| ${q.name} | ${hot[q.name]!.toFixed(1)} | ${cold.first[q.name]!.toFixed(1)} | ${
        cold.cached[q.name]!.toFixed(1)
      } |`,
    );
  }
} finally {
  await tier.stop();
  await store.close();
  await s3?.stop();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

/** Median ms per query over `runs` runs, through the query path (prepare + run). */
async function timeQueries(runs: number, service = tier): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const q of QUERIES) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const connection = await store.connect();
      const t = performance.now();
      try {
        using _prepared = await service.prepareQueryConnection(connection, q.sql);
        await connection.runAndReadAll(q.sql);
      } finally {
        connection.closeSync();
      }
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    out[q.name] = times[Math.floor(times.length / 2)]!;
  }
  return out;
}

async function withFreshTier<T>(work: (service: TierService) => Promise<T>): Promise<T> {
  const service = new TierService({
    config,
    dataDir: dir,
    database: store,
    log: createLogger({ level: "error" }),
    now: () => now,
    store: objectStore(),
  });
  await service.start();
  try {
    return await work(service);
  } finally {
    await service.stop();
  }
}

async function bytesPerRow(
  connection: Awaited<ReturnType<HotStore["connect"]>>,
): Promise<Partial<Record<Kind, number>>> {
  const reader = await connection.runAndReadAll(
    "SELECT kind, sum(size_bytes) / sum(row_count) FROM tier_objects GROUP BY kind",
  );
  return Object.fromEntries(reader.getRows().map(([k, v]) => [k as string, Number(v)]));
}
