/**
 * The rollup retention pass and the late-row rule, on a real (in-memory)
 * DuckDB through HotStore, with a clock the tests move.
 */
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { createLogger } from "@tributary/shared/log";
import { Registry } from "prom-client";
import { HotStore } from "../store/hot_store.ts";
import { type RollupConfig, validateRollupConfig } from "./config.ts";
import { RollupRetention } from "./retention.ts";
import { Rollups } from "./mod.ts";
import { at, batchOf, rowsOf, type TestRow } from "./testing/rows.ts";

const HOUR_S = 3600;

interface Env {
  store: HotStore;
  retention: RollupRetention;
  registry: Registry;
  lines: string[];
  clock: { now: bigint };
  query(sql: string): Promise<unknown[][]>;
}

/** A store whose clock is `clock.now`, its retention service, and a metrics registry. */
async function withEnv(raw: Record<string, unknown>, fn: (env: Env) => Promise<void>) {
  const config: RollupConfig = validateRollupConfig(raw);
  const clock = { now: at(0) };
  const store = await HotStore.open({ path: ":memory:", rollups: config, now: () => clock.now });
  const reader = await store.connect();
  const registry = new Registry();
  const lines: string[] = [];
  const retention = new RollupRetention({
    rollups: store.rollups,
    onWriter: (work) => store.withWriter(work),
    log: createLogger({ sink: (line) => lines.push(line) }),
    registry,
    now: () => clock.now,
  });
  try {
    await fn({
      store,
      retention,
      registry,
      lines,
      clock,
      query: (sql) => rowsOf(reader, sql),
    });
  } finally {
    await retention.stop();
    reader.closeSync();
    await store.close();
  }
}

/** Trades of one symbol, one every `stepS` seconds over [from, to) (ns). */
function trades(
  from: bigint,
  to: bigint,
  stepS: number,
  firstSeq = 1n,
): ReturnType<typeof batchOf> {
  const rows: TestRow[] = [];
  for (let ts = from; ts < to; ts += BigInt(stepS) * 1_000_000_000n) {
    rows.push({ ts, symbol: "ACME", price: 10, size: 1 });
  }
  const batch = batchOf("trades", rows);
  const seq = batch.columns.seq as BigInt64Array;
  for (let i = 0; i < seq.length; i++) seq[i] = firstSeq + BigInt(i);
  return { ...batch, firstSeq, lastSeq: firstSeq + BigInt(rows.length - 1) };
}

async function metricValue(registry: Registry, name: string, view: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => v.labels.view === view);
  return value ? Number(value.value) : 0;
}

const logLine = (m: number, s = 0): TestRow => ({ ts: at(m, s), source: "app", level: "info" });

/** A logs batch of `rows` with seq from `first`. */
function logs(rows: TestRow[], first: bigint): ReturnType<typeof batchOf> {
  const batch = batchOf("logs", rows);
  const seq = batch.columns.seq as BigInt64Array;
  for (let i = 0; i < seq.length; i++) seq[i] = first + BigInt(i);
  return { ...batch, firstSeq: first, lastSeq: first + BigInt(rows.length - 1) };
}

const count = (env: Env, view: string) =>
  env.query(`SELECT count(*)::INTEGER FROM ${view}`).then((rows) => rows[0]![0] as number);

Deno.test("a pass deletes buckets older than the retention, in chunks, and keeps newer ones", async () => {
  await withEnv(
    { retention: { ohlcv_1s: "1h", ohlcv_1m: "2h", ohlcv_1h: "0" } },
    async (env) => {
      // Trades every 2 s over minutes 0..179 (3 hours): 5400 1 s bars, 180 1 m bars, 3 1 h bars.
      await env.store.ingest(trades(at(0), at(180), 2), 0);
      assertEquals(await count(env, "ohlcv_1s"), 5400);
      // Now: minute 200 (+30 s). 1 s bars kept from minute 140:30, 1 m bars from minute 80.
      env.clock.now = at(200, 30);
      const report = await env.retention.runPass();
      // 1 s bars before minute 140:30: 140.5 min x 30 bars; more than one chunk (3600 buckets).
      assertEquals(report.ohlcv_1s, 140 * 30 + 15);
      assertEquals(report.ohlcv_1m, 80);
      assertEquals(report.ohlcv_1h, undefined, "kept forever: not part of the pass");
      assertEquals(await count(env, "ohlcv_1s"), 5400 - (140 * 30 + 15));
      assertEquals(await count(env, "ohlcv_1m"), 100);
      assertEquals(await count(env, "ohlcv_1h"), 3);
      assertEquals(
        await env.query(`SELECT epoch_ns(min(bucket)) FROM ohlcv_1s`),
        [[at(140, 30)]],
      );
      assertEquals(await env.query(`SELECT epoch_ns(min(bucket)) FROM ohlcv_1m`), [[at(80)]]);
      // Figures of kept bars untouched: each 1 m bar still holds its 30 trades.
      assertEquals(
        await env.query(`SELECT DISTINCT trade_count FROM ohlcv_1m`),
        [[30n]],
      );
      // The raw trades are not the rollups' business.
      assertEquals(await env.query(`SELECT count(*)::INTEGER FROM trades`), [[5400]]);
      assertEquals(
        await metricValue(env.registry, "tributary_hub_rollup_expired_rows_total", "ohlcv_1s"),
        140 * 30 + 15,
      );
      assertEquals(
        await metricValue(env.registry, "tributary_hub_rollup_expired_rows_total", "ohlcv_1m"),
        80,
      );
      assert(env.lines.some((line) => line.includes("rollup state expired")), "a log line");
      // A second pass at the same time finds nothing more.
      assertEquals((await env.retention.runPass()).ohlcv_1s, 0);
    },
  );
});

Deno.test("retention 0 keeps every bucket however old", async () => {
  await withEnv(
    {
      retention: {
        ohlcv_1s: "0",
        ohlcv_1m: 0,
        ohlcv_1h: "0",
        sensor_minute: "0",
        quote_minute: "0",
        log_minute: "0",
      },
    },
    async (env) => {
      await env.store.ingest(trades(at(0), at(10), 1), 0);
      env.clock.now = at(0) + 10_000n * 86_400_000_000_000n;
      assertEquals(await env.retention.runPass(), {});
      assertEquals(await count(env, "ohlcv_1s"), 600);
      assertEquals(await count(env, "ohlcv_1m"), 10);
      // Late rows are rolled up too: nothing ever expires.
      await env.store.ingest(trades(at(20), at(21), 1, 1000n), 0);
      assertEquals(await count(env, "ohlcv_1m"), 11);
    },
  );
});

Deno.test("a late batch for an expired bucket is stored raw but left out of the rollup, and counted", async () => {
  await withEnv({ retention: { log_minute: "1h" } }, async (env) => {
    const log = (rows: TestRow[], first: bigint) => {
      const batch = batchOf("logs", rows);
      const seq = batch.columns.seq as BigInt64Array;
      for (let i = 0; i < seq.length; i++) seq[i] = first + BigInt(i);
      return { ...batch, firstSeq: first, lastSeq: first + BigInt(rows.length - 1) };
    };
    const line = (m: number, s = 0): TestRow => ({ ts: at(m, s), source: "app", level: "info" });
    await env.store.ingest(log([line(0), line(0, 30), line(70)], 1n), 0);
    env.clock.now = at(100, 10); // keeps buckets from minute 40
    assertEquals((await env.retention.runPass()).log_minute, 1);
    // Late: two rows of the deleted minute 0, one of minute 39 (expired, never existed),
    // one of minute 40 (kept, not yet expired) and one of minute 70 (merges).
    await env.store.ingest(
      log([line(0, 5), line(0, 50), line(39, 59), line(40), line(70, 1)], 4n),
      0,
    );
    assertEquals(
      await env.query(`SELECT epoch_ns(bucket), "count" FROM log_minute ORDER BY bucket`),
      [[at(40), 1n], [at(70), 2n]],
    );
    // No partial bucket was re-created; the raw rows are all kept.
    assertEquals(await env.query(`SELECT count(*)::INTEGER FROM logs`), [[8]]);
    assertEquals(
      await metricValue(env.registry, "tributary_hub_rollup_late_rows_skipped_total", "log_minute"),
      3,
    );
    // Other views of other kinds are untouched by a logs batch.
    assertEquals(
      await metricValue(env.registry, "tributary_hub_rollup_late_rows_skipped_total", "ohlcv_1s"),
      0,
    );
  });
});

Deno.test("default retention drops 1 s bars after 7 days but keeps 1 m bars and hourly ones", async () => {
  await withEnv({}, async (env) => {
    await env.store.ingest(trades(at(0), at(2), 1), 0);
    env.clock.now = at(0) + 8n * 86_400_000_000_000n;
    const report = await env.retention.runPass();
    assertEquals(report.ohlcv_1s, 120);
    assertEquals(report.ohlcv_1m, 0);
    assertEquals(await count(env, "ohlcv_1s"), 0);
    assertEquals(await count(env, "ohlcv_1m"), 2);
    assertEquals(await count(env, "ohlcv_1h"), 1);
  });
});

Deno.test("the scheduled pass runs on its own and stop() ends it", async () => {
  await withEnv({ retention: { ohlcv_1s: "1h" }, retention_interval_s: 1 }, async (env) => {
    await env.store.ingest(trades(at(0), at(1), 1), 0);
    env.clock.now = at(0) + BigInt(2 * HOUR_S) * 1_000_000_000n;
    env.retention.start();
    const deadline = Date.now() + 20_000;
    while ((await count(env, "ohlcv_1s")) > 0) {
      assert(Date.now() < deadline, "no scheduled pass within 20 s");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await env.retention.stop();
  });
});

Deno.test("old rows are rolled up until a pass has expired their bucket (backfill), and the mark survives a restart", async () => {
  await withEnv({ retention: { log_minute: "1h" } }, async (env) => {
    // Far older than the retention, but no pass has run: rolled up like any row.
    env.clock.now = at(1000);
    await env.store.ingest(logs([logLine(0), logLine(500)], 1n), 0);
    assertEquals(await count(env, "log_minute"), 2);
    assertEquals((await env.retention.runPass()).log_minute, 2);
    assertEquals(
      await env.query(
        `SELECT view, epoch_ns(keep_from) FROM rollup_expiry WHERE view = 'log_minute'`,
      ),
      [["log_minute", at(940)]],
    );
    // A Rollups built afresh on the same database (as after a restart) reads the mark.
    const late = logs([logLine(500, 1), logLine(950)], 3n);
    const fresh = new Rollups(validateRollupConfig({ retention: { log_minute: "1h" } }));
    await env.store.withWriter((writer) => fresh.apply(writer, late, undefined));
    assertEquals(
      await env.query(`SELECT epoch_ns(bucket), "count" FROM log_minute`),
      [[at(950), 1n]],
    );
    assertEquals(fresh.lateRowsSkipped.get("log_minute"), 1);
  });
});
