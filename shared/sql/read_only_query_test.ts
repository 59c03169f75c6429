import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { QueryRefused, runReadOnlyQuery } from "./read_only_query.ts";

async function withConnection(fn: (connection: DuckDBConnection) => Promise<void>) {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await connection.run("CREATE TABLE t (ts TIMESTAMP_NS, n BIGINT, l INTEGER[], j JSON)");
    await connection.run(
      `INSERT INTO t VALUES ('2024-05-01 12:00:00.123456789'::TIMESTAMP_NS, 9007199254740993, [1, 2], '{"a":1}'),
                            ('1970-01-01 00:00:00'::TIMESTAMP_NS, 42, [], '{}')`,
    );
    await fn(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

Deno.test("runReadOnlyQuery returns columns with DuckDB types and JSON rows", async () => {
  await withConnection(async (connection) => {
    const result = await runReadOnlyQuery(connection, "SELECT ts, n, l, j FROM t ORDER BY n DESC;");
    assertEquals(result.columns, [
      { name: "ts", type: "TIMESTAMP_NS" },
      { name: "n", type: "BIGINT" },
      { name: "l", type: "INTEGER[]" },
      { name: "j", type: "JSON" },
    ]);
    assertEquals(result.rows, [
      ["2024-05-01T12:00:00.123456789Z", "9007199254740993", [1, 2], '{"a":1}'],
      ["1970-01-01T00:00:00.000000000Z", 42, [], "{}"],
    ]);
    assertEquals(result.truncated, false);
  });
});

Deno.test("runReadOnlyQuery converts HUGEINT, DECIMAL, BLOB, STRUCT, MAP and TIMESTAMP", async () => {
  await withConnection(async (connection) => {
    const result = await runReadOnlyQuery(
      connection,
      `SELECT 12::HUGEINT AS h, 170141183460469231731687303715884105727::HUGEINT AS big,
              1.25::DECIMAL(5,2) AS d, '\\x01\\xFF'::BLOB AS b, {'x': 1, 'y': [true]} AS s,
              MAP {'k': 2} AS m, '2024-01-02 03:04:05.678901'::TIMESTAMP AS us,
              'infinity'::TIMESTAMP AS inf, NULL AS nothing, 'NaN'::DOUBLE AS nan, 1.5 :: DOUBLE AS x`,
    );
    assertEquals(result.rows, [[
      12,
      "170141183460469231731687303715884105727",
      1.25,
      "Af8=",
      { x: 1, y: [true] },
      { k: 2 },
      "2024-01-02T03:04:05.678901000Z",
      "infinity",
      null,
      "NaN",
      1.5,
    ]]);
  });
});

Deno.test("runReadOnlyQuery refuses every statement that is not a SELECT", async () => {
  await withConnection(async (connection) => {
    const refused: [string, string][] = [
      ["INSERT INTO t SELECT * FROM t", "got INSERT"],
      ["CREATE TABLE u (a INT)", "got CREATE"],
      ["DROP TABLE t", "got DROP"],
      ["COPY t TO '/tmp/t.csv'", "got COPY"],
      ["ATTACH ':memory:' AS other", "got ATTACH"],
      ["UPDATE t SET n = 1", "got UPDATE"],
      ["DELETE FROM t", "got DELETE"],
      ["SET threads = 1", "got SET"],
      ["PRAGMA enable_profiling", "got PRAGMA"],
      ["CHECKPOINT", "got CALL"],
      ["EXPORT DATABASE '/tmp/x'", "got EXPORT"],
      ["SELECT * FROM query('DROP TABLE t')", "Expected a single SELECT"],
      ["SELECT 1; DROP TABLE t", "exactly one statement, got 2"],
      ["", "non-empty string"],
    ];
    for (const [sql, message] of refused) {
      await assertRejects(() => runReadOnlyQuery(connection, sql), QueryRefused, message);
    }
    await assertRejects(() => runReadOnlyQuery(connection, 42), QueryRefused, "got number");
    // Nothing changed.
    assertEquals((await runReadOnlyQuery(connection, "SELECT count(*) FROM t")).rows, [[2]]);
  });
});

Deno.test("runReadOnlyQuery reports DuckDB's message for bad SQL", async () => {
  await withConnection(async (connection) => {
    await assertRejects(
      () => runReadOnlyQuery(connection, "SELEC 1"),
      QueryRefused,
      "syntax error",
    );
    await assertRejects(
      () => runReadOnlyQuery(connection, "SELECT * FROM missing_table"),
      QueryRefused,
      "missing_table",
    );
  });
});

Deno.test("runReadOnlyQuery cuts the rows at maxRows and says so", async () => {
  await withConnection(async (connection) => {
    const result = await runReadOnlyQuery(connection, "SELECT * FROM range(5000)", {
      maxRows: 2100,
    });
    assertEquals(result.rows.length, 2100);
    assertEquals(result.rows[2099], [2099]);
    assert(result.truncated);
    const exact = await runReadOnlyQuery(connection, "SELECT * FROM range(10)", { maxRows: 10 });
    assertEquals(exact.truncated, false);
  });
});

Deno.test("runReadOnlyQuery interrupts a query that runs past the time limit", async () => {
  await withConnection(async (connection) => {
    const started = performance.now();
    await assertRejects(
      () =>
        runReadOnlyQuery(
          connection,
          "SELECT count(*) FROM range(100000000) a, range(100000000) b",
          { timeoutMs: 200 },
        ),
      QueryRefused,
      "200 ms time limit",
    );
    assert(performance.now() - started < 10_000);
  });
});
