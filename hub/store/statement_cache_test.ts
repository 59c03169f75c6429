import { DuckDBInstance } from "@duckdb/node-api";
import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { dropCachedStatements, readCached, runCached } from "./statement_cache.ts";

async function withConnection(
  body: (c: Awaited<ReturnType<DuckDBInstance["connect"]>>) => Promise<void>,
) {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await body(connection);
  } finally {
    dropCachedStatements(connection);
    connection.closeSync();
    instance.closeSync();
  }
}

Deno.test("runCached binds fresh values on each reuse of a statement", async () => {
  await withConnection(async (c) => {
    await c.run("CREATE TABLE t (k VARCHAR, v BIGINT)");
    for (let i = 0; i < 5; i++) {
      await runCached(c, "INSERT INTO t VALUES ($1, $2)", [`k${i}`, BigInt(i)]);
    }
    const reader = await readCached(c, "SELECT k, v FROM t WHERE v >= $1 ORDER BY v", [3n]);
    assertEquals(reader.getRows(), [["k3", 3n], ["k4", 4n]]);
    const again = await readCached(c, "SELECT k, v FROM t WHERE v >= $1 ORDER BY v", [1n]);
    assertEquals(again.getRows().length, 4);
  });
});

Deno.test("concurrent callers of one SQL each get their own statement", async () => {
  await withConnection(async (c) => {
    const sql = "SELECT $1::BIGINT * 2";
    const results = await Promise.all(
      [1n, 2n, 3n, 4n].map((n) => readCached(c, sql, [n]).then((r) => r.getRows()[0]![0])),
    );
    assertEquals(results, [2n, 4n, 6n, 8n]);
  });
});

Deno.test("a failed statement is not reused and the next call works", async () => {
  await withConnection(async (c) => {
    await c.run("CREATE TABLE u (v BIGINT PRIMARY KEY)");
    const sql = "INSERT INTO u VALUES ($1)";
    await runCached(c, sql, [1n]);
    await assertRejects(() => runCached(c, sql, [1n]));
    await runCached(c, sql, [2n]);
    const reader = await c.runAndReadAll("SELECT count(*) FROM u");
    assertEquals(reader.getRows()[0]![0], 2n);
  });
});

Deno.test("dropCachedStatements is safe twice and on a connection with no cache", async () => {
  await withConnection(async (c) => {
    await readCached(c, "SELECT 1", []);
    dropCachedStatements(c);
    dropCachedStatements(c);
    // The cache refills after a drop.
    assertEquals((await readCached(c, "SELECT 1", [])).getRows(), [[1]]);
  });
});
