import { assertEquals } from "@tributary/shared/testing/asserts";
import { sensorMinute } from "./sensor_minute.ts";
import { at, batchOf, rowsOf, withRollupDb } from "./testing/rows.ts";

const SELECT = `SELECT epoch_ns(bucket), agent, sensor, metric, "count", min_value, max_value,
  avg_value, last_value, epoch_ns(last_ts) FROM sensor_minute ORDER BY ALL`;

Deno.test("sensorMinute keeps count, min, max, avg and last per agent, sensor, metric and minute", async () => {
  await withRollupDb(async (db) => {
    const batch = batchOf("readings", [
      { ts: at(0, 10), sensor: "s1", metric: "t", value: 20 },
      { ts: at(0, 50), sensor: "s1", metric: "t", value: 10 },
      { ts: at(0, 30), sensor: "s1", metric: "t", value: 30 },
      { ts: at(1, 0), sensor: "s1", metric: "t", value: 5 },
      { ts: at(0, 5), sensor: "s1", metric: "h", value: 60 },
    ]);
    assertEquals(await sensorMinute.apply(db, batch, undefined), 3);
    assertEquals(await rowsOf(db, SELECT), [
      [at(0), "agent-1", "s1", "h", 1n, 60, 60, 60, 60, at(0, 5)],
      [at(0), "agent-1", "s1", "t", 3n, 10, 30, 20, 10, at(0, 50)],
      [at(1), "agent-1", "s1", "t", 1n, 5, 5, 5, 5, at(1, 0)],
    ]);
  });
});

Deno.test("sensorMinute folds only the given rows", async () => {
  await withRollupDb(async (db) => {
    const batch = batchOf("readings", [
      { ts: at(0, 1), sensor: "s", metric: "m", value: 1 },
      { ts: at(0, 2), sensor: "s", metric: "m", value: 2 },
      { ts: at(0, 3), sensor: "s", metric: "m", value: 4 },
    ]);
    await sensorMinute.apply(db, batch, [0, 2]);
    assertEquals(await rowsOf(db, `SELECT "count", sum_value FROM sensor_minute`), [[2n, 5]]);
  });
});

Deno.test("sensorMinute merges a late batch into the stored minute, whatever the order", async () => {
  const early = batchOf("readings", [
    { ts: at(0, 10), sensor: "s", metric: "m", value: 1 },
    { ts: at(0, 40), sensor: "s", metric: "m", value: 7 },
  ]);
  // Same ts as the last of `early`: the greater value is "last" either way.
  const late = batchOf("readings", [
    { ts: at(0, 40), sensor: "s", metric: "m", value: 9 },
    { ts: at(0, 5), sensor: "s", metric: "m", value: -3 },
  ]);
  for (const order of [[early, late], [late, early]]) {
    await withRollupDb(async (db) => {
      for (const batch of order) await sensorMinute.apply(db, batch, undefined);
      assertEquals(await rowsOf(db, SELECT), [
        [at(0), "agent-1", "s", "m", 4n, -3, 9, 3.5, 9, at(0, 40)],
      ]);
    });
  }
});

Deno.test("sensorMinute orders NaN as DuckDB does: above every number", async () => {
  await withRollupDb(async (db) => {
    await sensorMinute.apply(
      db,
      batchOf("readings", [
        { ts: at(0, 1), sensor: "s", metric: "m", value: NaN },
        { ts: at(0, 1), sensor: "s", metric: "m", value: 3 },
      ]),
      undefined,
    );
    await sensorMinute.apply(
      db,
      batchOf("readings", [{ ts: at(0, 1), sensor: "s", metric: "m", value: 2 }]),
      undefined,
    );
    const [[min, max, last]] = await rowsOf(
      db,
      "SELECT min_value, max_value, last_value FROM sensor_minute",
    ) as [[number, number, number]];
    assertEquals([min, Number.isNaN(max), Number.isNaN(last)], [2, true, true]);
  });
});

Deno.test("sensorMinute keeps agents apart", async () => {
  await withRollupDb(async (db) => {
    const row = { ts: at(0), sensor: "s", metric: "m", value: 1 };
    await sensorMinute.apply(db, batchOf("readings", [row], "a"), undefined);
    await sensorMinute.apply(db, batchOf("readings", [row], "b"), undefined);
    assertEquals(await rowsOf(db, `SELECT agent, "count" FROM sensor_minute ORDER BY agent`), [
      ["a", 1n],
      ["b", 1n],
    ]);
  });
});

Deno.test("sensorMinute replaces last ts and value together when a later reading has a smaller value", async () => {
  // Would fail if the merge's CASE for last_value saw last_ts already updated.
  await withRollupDb(async (db) => {
    const row = (s: number, value: number) => ({ ts: at(0, s), sensor: "s", metric: "m", value });
    await sensorMinute.apply(db, batchOf("readings", [row(10, 9)]), undefined);
    await sensorMinute.apply(db, batchOf("readings", [row(40, 1)]), undefined);
    assertEquals(await rowsOf(db, "SELECT last_value, epoch_ns(last_ts) FROM sensor_minute"), [
      [1, at(0, 40)],
    ]);
  });
});
