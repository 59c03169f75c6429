import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { RetryableError } from "@tributary/shared/errors";
import { HotStore } from "../store/hot_store.ts";
import { defaultRollupConfig, type Rollups, validateRollupConfig } from "./mod.ts";
import { at, batchOf, rowsOf, type TestRow, withRollupDb } from "./testing/rows.ts";
import type { DuckDBConnection } from "@duckdb/node-api";

Deno.test("Rollups creates one view per family, OHLCV per configured interval", async () => {
  const config = validateRollupConfig({ trade_intervals: ["5m", "1d"] });
  await withRollupDb(async (db, rollups) => {
    assertEquals(rollups.families.map((f) => f.view), [
      "sensor_minute",
      "ohlcv_5m",
      "ohlcv_1d",
      "quote_minute",
      "log_minute",
    ]);
    const views = await rowsOf(
      db,
      "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1",
    );
    assertEquals(views.flat(), [
      "log_minute",
      "ohlcv_1d",
      "ohlcv_5m",
      "quote_minute",
      "sensor_minute",
    ]);
    // Schema statements run again (a restart) leave everything in place.
    for (const sql of rollups.schemaStatements()) await db.run(sql);
  }, config);
});

Deno.test("Rollups.apply updates only the rollups of the batch's kind", async () => {
  await withRollupDb(async (db, rollups) => {
    const trades = batchOf("trades", [{ ts: at(0), symbol: "X", price: 1, size: 1 }]);
    assertEquals(await rollups.apply(db, trades, undefined), 3);
    const counts = await rowsOf(
      db,
      `SELECT (SELECT count(*) FROM ohlcv_1s), (SELECT count(*) FROM ohlcv_1h),
              (SELECT count(*) FROM sensor_minute), (SELECT count(*) FROM quote_minute)`,
    );
    assertEquals(counts, [[1n, 1n, 0n, 0n]]);
    assertEquals(await rollups.apply(db, trades, []), 0);
  });
});

Deno.test("Rollups.apply does nothing when disabled", async () => {
  await withRollupDb(async (db, rollups) => {
    const logs = batchOf("logs", [{ ts: at(0), source: "a", level: "info" }]);
    assertEquals(await rollups.apply(db, logs, undefined), 0);
    assertEquals(await rowsOf(db, "SELECT count(*) FROM log_minute"), [[0n]]);
  }, { ...defaultRollupConfig(), enabled: false });
});

function readings(rows: Array<[number, number]>, firstSeq: bigint) {
  const batch = batchOf(
    "readings",
    rows.map(([s, value]): TestRow => ({ ts: at(0, s), sensor: "s", metric: "m", value })),
  );
  const seq = BigInt64Array.from(rows, (_, i) => firstSeq + BigInt(i));
  return {
    ...batch,
    firstSeq,
    lastSeq: firstSeq + BigInt(rows.length - 1),
    columns: { ...batch.columns, seq },
  };
}

async function sensorState(db: DuckDBConnection) {
  return await rowsOf(db, `SELECT "count", sum_value, last_value FROM sensor_minute`);
}

Deno.test("HotStore.ingest rolls up each stored row once: duplicates and overlaps add nothing twice", async () => {
  const store = await HotStore.open({ path: ":memory:" });
  const db = await store.connect();
  try {
    const first = readings([[1, 1], [2, 2], [3, 3]], 1n);
    await store.ingest(first, 0);
    await store.ingest(first, 0);
    assertEquals(await sensorState(db), [[3n, 6, 3]]);
    // Seqs 2..5: 2 and 3 are stored already, only 4 and 5 are new.
    const overlap = readings([[2, 2], [3, 3], [4, 10], [5, 20]], 2n);
    assertEquals((await store.ingest(overlap, 0)).outcome, "partial");
    assertEquals(await sensorState(db), [[5n, 36, 20]]);
  } finally {
    db.closeSync();
    await store.close();
  }
});

Deno.test("HotStore.ingest rolls back the rollups with the rows when the transaction fails", async () => {
  const store = await HotStore.open({ path: ":memory:" });
  const db = await store.connect();
  try {
    await store.ingest(readings([[1, 1]], 1n), 0);
    await db.run("ALTER TABLE ingested_batches RENAME TO ingested_batches_away");
    const batch = readings([[2, 5], [3, 6]], 2n);
    const error = await store.ingest(batch, 0).catch((e) => e);
    assert(error instanceof RetryableError, String(error));
    assertEquals(await sensorState(db), [[1n, 1, 1]]);
    await db.run("ALTER TABLE ingested_batches_away RENAME TO ingested_batches");
    await store.ingest(batch, 0);
    assertEquals(await sensorState(db), [[3n, 12, 6]]);
  } finally {
    db.closeSync();
    await store.close();
  }
});

Deno.test("rollup views answer through the hub's read-only query", async () => {
  const { runReadOnlyQuery } = await import("@tributary/shared/sql/read_only_query");
  const store = await HotStore.open({ path: ":memory:" });
  const db = await store.connect();
  try {
    await store.ingest(readings([[1, 1], [2, 3]], 1n), 0);
    const result = await runReadOnlyQuery(
      db,
      "SELECT sensor, count, avg_value, last_value FROM sensor_minute",
    );
    assertEquals(result.rows, [["s", 2, 2, 3]]);
  } finally {
    db.closeSync();
    await store.close();
  }
});

Deno.test("state rows kept in two places combine by GROUP BY as docs/storage.md says", async () => {
  const part1 = [
    { ts: at(0, 10), sensor: "s", metric: "m", value: 9, symbol: "X", price: 5, size: 2 },
    { ts: at(0, 40), sensor: "s", metric: "m", value: 1, symbol: "X", price: 7, size: 1 },
  ];
  const part2 = [
    { ts: at(0, 40), sensor: "s", metric: "m", value: 3, symbol: "X", price: 6, size: 3 },
    { ts: at(0, 5), sensor: "s", metric: "m", value: 4, symbol: "X", price: 8, size: 1 },
  ];
  const apply = async (db: DuckDBConnection, rollups: Rollups, rows: TestRow[]) => {
    await rollups.apply(db, batchOf("readings", rows), undefined);
    await rollups.apply(db, batchOf("trades", rows), undefined);
  };
  let whole: unknown[][] = [];
  await withRollupDb(async (db, rollups) => {
    await apply(db, rollups, [...part1, ...part2]);
    whole = await rowsOf(
      db,
      `SELECT "count", sum_value, min_value, max_value, last_value, epoch_ns(last_ts), open, close,
              volume, trade_count
       FROM sensor_minute, ohlcv_1m`,
    );
  });
  await withRollupDb(async (db, rollups) => {
    await apply(db, rollups, part1);
    await db.run("CREATE TABLE old_sensor AS SELECT * FROM sensor_minute_state");
    await db.run("CREATE TABLE old_bars AS SELECT * FROM ohlcv_1m_state");
    await db.run("DELETE FROM sensor_minute_state");
    await db.run("DELETE FROM ohlcv_1m_state");
    await apply(db, rollups, part2);
    const combined = await rowsOf(
      db,
      `WITH s AS (
         SELECT sum("count") AS "count", sum(sum_value) AS sum_value, min(min_value) AS min_value,
                max(max_value) AS max_value, arg_max(last_value, (last_ts, last_value)) AS last_value,
                max(last_ts) AS last_ts
         FROM (SELECT * FROM old_sensor UNION ALL SELECT * FROM sensor_minute_state)
         GROUP BY bucket, agent, sensor, metric),
       b AS (
         SELECT arg_min(open, (open_ts, open)) AS open, arg_max(close, (close_ts, close)) AS close,
                sum(volume) AS volume, sum(trade_count) AS trade_count
         FROM (SELECT * FROM old_bars UNION ALL SELECT * FROM ohlcv_1m_state)
         GROUP BY bucket, symbol)
       SELECT "count", sum_value, min_value, max_value, last_value, epoch_ns(last_ts), open, close,
              volume, trade_count::BIGINT
       FROM s, b`,
    );
    assertEquals(combined, whole);
  });
});

Deno.test("HotStore.ingest rolls up events at the ends of the TIMESTAMP_NS range", async () => {
  // A hostile or broken clock must not make a batch fail (it would be retried for ever).
  const store = await HotStore.open({ path: ":memory:" });
  const db = await store.connect();
  try {
    for (const [i, ts] of [-(2n ** 63n) + 1n, 2n ** 63n - 2n].entries()) {
      const batch = batchOf("trades", [{ ts, symbol: "X", price: 1, size: 1 }]);
      const seq = BigInt64Array.of(BigInt(i + 1));
      const result = await store.ingest(
        { ...batch, firstSeq: seq[0]!, lastSeq: seq[0]!, columns: { ...batch.columns, seq } },
        0,
      );
      assertEquals(result.outcome, "inserted");
    }
    assertEquals(await rowsOf(db, "SELECT count(*) FROM ohlcv_1h"), [[2n]]);
  } finally {
    db.closeSync();
    await store.close();
  }
});
