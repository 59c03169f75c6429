import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { insertSyntheticRows } from "./synthetic_rows.ts";
import { ColdTierUnavailable, coldViewSql } from "./query_tiers.ts";
import { openTierTestEnv, SECOND, T0 } from "./_test_env.ts";

const HOUR = 3600n * SECOND;

Deno.test("prepareQueryConnection reads one snapshot: a window tiered meanwhile is counted once", async () => {
  const env = await openTierTestEnv({
    configure: (c) => {
      c.kinds.readings.hot_retention_s = 3600;
      c.compact_below_bytes = 0;
    },
  });
  try {
    const writer = await env.store.connect();
    await insertSyntheticRows(writer, "readings", {
      fromNs: T0,
      rows: 4 * 360,
      stepNs: 10n * SECOND,
    });
    writer.closeSync();
    env.setNow(T0 + 2n * HOUR);
    await env.tier.runPass(); // hour 0 is cold
    const connection = await env.store.connect();
    try {
      const sql = "SELECT count(*), count(DISTINCT ts) FROM readings";
      using prepared = await env.tier.prepareQueryConnection(connection, sql);
      assertEquals(prepared.objects, { readings: 1 });
      env.setNow(T0 + 4n * HOUR);
      assertEquals((await env.tier.runPass()).rowsTiered, 2 * 360); // hours 1 and 2 move now
      // The prepared connection still sees its snapshot: hours 1-2 hot, hour 0 cold.
      assertEquals((await connection.runAndReadAll(sql)).getRows(), [[4n * 360n, 4n * 360n]]);
    } finally {
      connection.closeSync();
    }
    assertEquals(await env.query("SELECT count(*), count(DISTINCT ts) FROM readings"), [[
      4n * 360n,
      4n * 360n,
    ]]);
  } finally {
    await env.close();
  }
});

Deno.test("prepareQueryConnection fetches only objects in the query's ts range", async () => {
  const env = await openTierTestEnv({
    configure: (c) => {
      c.kinds.trades.hot_retention_s = 3600;
      c.compact_below_bytes = 0;
    },
  });
  try {
    const writer = await env.store.connect();
    await insertSyntheticRows(writer, "trades", { fromNs: T0, rows: 5 * 60, stepNs: 60n * SECOND });
    writer.closeSync();
    env.setNow(T0 + 5n * HOUR);
    await env.tier.runPass(); // hours 0-3 are cold, hour 4 hot
    const connection = await env.store.connect();
    try {
      const sql =
        "SELECT count(*) FROM trades WHERE ts >= TIMESTAMP '2026-11-18 02:00:00' AND symbol LIKE 'SYM%'";
      using prepared = await env.tier.prepareQueryConnection(connection, sql);
      assertEquals(prepared.objects, { trades: 2 });
      assertEquals((await connection.runAndReadAll(sql)).getRows(), [[180n]]);
    } finally {
      connection.closeSync();
    }
    // Without a usable bound, every object of the kind is read.
    assertEquals(await env.query("SELECT count(*) FROM trades WHERE price > 0 OR size > 0"), [[
      300n,
    ]]);
  } finally {
    await env.close();
  }
});

Deno.test("coldViewSql keeps the table's columns and types", () => {
  const sql = coldViewSql("hub", "logs", ["/c/a.parquet"]);
  assertEquals(sql.includes(`FROM "hub".main."logs"`), true);
  assertEquals(sql.includes(`CAST("fields" AS JSON) AS "fields"`), true);
  assertEquals(sql.includes(`read_parquet(['/c/a.parquet'], hive_partitioning = false)`), true);
});

Deno.test("prepareQueryConnection refuses with ColdTierUnavailable when a cold object is missing", async () => {
  const env = await openTierTestEnv({
    configure: (c) => {
      c.kinds.quotes.hot_retention_s = 3600;
    },
  });
  try {
    const writer = await env.store.connect();
    await insertSyntheticRows(writer, "quotes", { fromNs: T0, rows: 60, stepNs: 60n * SECOND });
    writer.closeSync();
    env.setNow(T0 + 2n * HOUR);
    assertEquals((await env.tier.runPass()).rowsTiered, 60);
    // The object vanishes from the store (not cached yet): the answer would be incomplete.
    await Deno.remove(env.tier.directories.local, { recursive: true });
    await assertRejects(() => env.query("SELECT count(*) FROM quotes"), ColdTierUnavailable);
  } finally {
    await env.close();
  }
});
