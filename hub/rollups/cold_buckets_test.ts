/**
 * Late data for buckets whose raw rows have left the hot store: tiering is
 * simulated by copying the rows of a time range aside (the "cold tier") and
 * deleting them from the hot tables. A late batch must still correct those
 * buckets, since rollups merge state and never re-read raw rows.
 */
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { HotStore } from "../store/hot_store.ts";
import { deliverySchedule, generateFeed } from "./testing/feed.ts";
import { compareRollup, type RawSources, rollupChecks } from "./testing/naive.ts";

/** The first hour of the feed (2026-01-05 09:00-10:00 UTC) goes "cold". */
const COLD_FROM = "TIMESTAMP_NS '2026-01-05 09:00:00'";
const COLD_TO = "TIMESTAMP_NS '2026-01-05 10:00:00'";

Deno.test("a late batch corrects rollup buckets whose raw rows were tiered away", async () => {
  const store = await HotStore.open({ path: ":memory:" });
  const db = await store.connect();
  try {
    const feed = generateFeed({ seed: 11, rowsPerStream: 2000 });
    const { onTime, late } = deliverySchedule(feed, { seed: 5, lateShare: 0.3 });
    for (const batch of onTime) await store.ingest(batch, 0);

    for (const kind of KINDS) {
      await db.run(
        `CREATE TABLE cold_${kind} AS SELECT * FROM ${kind} WHERE ts >= ${COLD_FROM} AND ts < ${COLD_TO}`,
      );
      await db.run(`DELETE FROM ${kind} WHERE ts >= ${COLD_FROM} AND ts < ${COLD_TO}`);
    }
    const coldCount = async () =>
      (await db.runAndReadAll(
        `SELECT sum("count") FROM sensor_minute WHERE bucket >= ${COLD_FROM} AND bucket < ${COLD_TO}`,
      )).getRows()[0]![0];
    const before = await coldCount();

    for (const batch of late) await store.ingest(batch, 0);

    // The late batches carried readings of the cold hour, and they were counted.
    const lateCold = (await db.runAndReadAll(
      `SELECT count(*) FROM readings WHERE ts >= ${COLD_FROM} AND ts < ${COLD_TO}`,
    )).getRows()[0]![0] as bigint;
    assert(lateCold > 50n, `late rows in the cold hour: ${lateCold}`);
    assertEquals(await coldCount(), (before as bigint) + lateCold);

    const raw = Object.fromEntries(
      KINDS.map((kind) => [kind, `(SELECT * FROM ${kind} UNION ALL SELECT * FROM cold_${kind})`]),
    ) as unknown as RawSources;
    for (const check of rollupChecks(raw)) {
      assertEquals((await compareRollup(db, check)).mismatches, []);
    }
  } finally {
    db.closeSync();
    await store.close();
  }
});
