import { DuckDBInstance } from "@duckdb/node-api";
import { assertEquals, assertRejects, assertThrows } from "@tributary/shared/testing/asserts";
import { StateTable } from "./state_table.ts";

const table = new StateTable("t_state", [
  { name: "bucket", type: "TIMESTAMP_NS" },
  { name: "key", type: "VARCHAR" },
  { name: "count", type: "BIGINT", merge: `stored."count" + excluded."count"` },
  { name: "total", type: "DOUBLE", merge: "stored.total + excluded.total" },
]);

async function withTable(fn: (db: import("@duckdb/node-api").DuckDBConnection) => Promise<void>) {
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  try {
    await db.run(table.createSql());
    await db.run(table.createSql()); // idempotent
    await db.run(table.createStageSql());
    await fn(db);
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

const SELECT = `SELECT epoch_ns(bucket), key, "count", total FROM t_state ORDER BY ALL`;

Deno.test("StateTable.merge inserts new keys and merges existing ones", async () => {
  await withTable(async (db) => {
    await table.merge(db, [[1n, 2n], ["a", "a"], [1n, 2n], [1.5, 2.5]]);
    await table.merge(db, [[2n, 3n], ["a", "b"], [10n, 1n], [0.5, 7]]);
    assertEquals((await db.runAndReadAll(SELECT)).getRows(), [
      [1n, "a", 1n, 1.5],
      [2n, "a", 12n, 3],
      [3n, "b", 1n, 7],
    ]);
  });
});

Deno.test("StateTable.merge keeps doubles whole when the first one is integral", async () => {
  // The client infers a list's type from its first item unless told: [2, 0.25] would become INTEGER[].
  await withTable(async (db) => {
    await table.merge(db, [[1n, 2n], ["a", "b"], [1n, 1n], [2, 0.25]]);
    assertEquals((await db.runAndReadAll("SELECT total FROM t_state ORDER BY key")).getRows(), [
      [2],
      [0.25],
    ]);
  });
});

Deno.test("StateTable.merge does nothing for no states and refuses a wrong column count", async () => {
  await withTable(async (db) => {
    await table.merge(db, [[], [], [], []]);
    assertEquals((await db.runAndReadAll("SELECT count(*) FROM t_state")).getRows(), [[0n]]);
    await assertRejects(() => table.merge(db, [[1n], ["a"]]), Error, "2 value columns for 4");
  });
});

Deno.test("StateTable.merge names the fix when the connection has no staging table", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  try {
    await db.run(table.createSql());
    await assertRejects(
      () => table.merge(db, [[1n], ["a"], [1n], [1]]),
      Error,
      "run Rollups.schemaStatements() on this connection",
    );
  } finally {
    db.closeSync();
    instance.closeSync();
  }
});

Deno.test("StateTable needs a bucket key column", () => {
  assertThrows(
    () => new StateTable("x", [{ name: "k", type: "VARCHAR" }]),
    Error,
    "needs the key column bucket TIMESTAMP_NS",
  );
});

Deno.test("StateTable.merge updates stored state outside the batch's buckets never", async () => {
  // The scan is bounded by the batch's bucket range; keys in other buckets stay apart.
  await withTable(async (db) => {
    await table.merge(db, [[1n, 5n], ["a", "a"], [1n, 1n], [1, 1]]);
    await table.merge(db, [[3n], ["a"], [1n], [1]]);
    await table.merge(db, [[1n, 5n], ["a", "a"], [1n, 1n], [1, 1]]);
    assertEquals((await db.runAndReadAll(SELECT)).getRows(), [
      [1n, "a", 2n, 2],
      [3n, "a", 1n, 1],
      [5n, "a", 2n, 2],
    ]);
  });
});
