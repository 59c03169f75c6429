/**
 * The read-only SQL sandbox as the hub runs it: the hot store's DuckDB (external
 * access off) behind `POST /api/v1/query`. One test per refusal, each checking
 * the answer is 400 with DuckDB's or our reason, and that nothing changed.
 */
import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { createLogger } from "@tributary/shared/log";
import { type ApiFixture, sqlBody, withApi } from "./testing/api_fixture.ts";
import { HotStore } from "../store/hot_store.ts";
import { createHubMetrics } from "../metrics.ts";
import { createHubApp } from "./app.ts";

async function refused(fixture: ApiFixture, sql: string, reason: RegExp): Promise<void> {
  const response = await fixture.call("/api/v1/query", "admin", sqlBody(sql));
  const body = await response.json();
  assertEquals(response.status, 400, `${sql} → ${JSON.stringify(body)}`);
  assertMatch(body.error, reason);
  // The store is intact and still answers.
  const check = await fixture.call(
    "/api/v1/query",
    "admin",
    sqlBody("SELECT count(*) FROM readings"),
  );
  assertEquals((await check.json()).rows, [[1]]);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

const cases: [string, string, RegExp][] = [
  ["refuses INSERT", "INSERT INTO readings SELECT * FROM readings", /only SELECT.*got INSERT/],
  ["refuses UPDATE", "UPDATE readings SET value = 0", /got UPDATE/],
  ["refuses DELETE", "DELETE FROM readings", /got DELETE/],
  ["refuses DROP", "DROP TABLE readings", /got DROP/],
  ["refuses CREATE", "CREATE TABLE x AS SELECT 1", /got CREATE/],
  // COPY, EXPORT and CREATE SECRET already fail in DuckDB's binder (no file access) before the
  // statement-type check sees them: two layers, either reason is a refusal.
  [
    "refuses COPY TO a file",
    "COPY readings TO '/tmp/tributary-leak.csv'",
    /got COPY|Permission Error/,
  ],
  ["refuses COPY FROM a file", "COPY readings FROM '/etc/passwd'", /got COPY|Permission Error/],
  [
    "refuses EXPORT DATABASE",
    "EXPORT DATABASE '/tmp/tributary-leak'",
    /got EXPORT|Permission Error/,
  ],
  ["refuses ATTACH", "ATTACH '/tmp/tributary-other.duckdb' AS other", /got ATTACH/],
  ["refuses DETACH", "DETACH memory", /got DETACH/],
  ["refuses INSTALL", "INSTALL httpfs", /got (LOAD|INSTALL)/],
  ["refuses LOAD", "LOAD httpfs", /got LOAD/],
  ["refuses SET", "SET enable_external_access = true", /got SET/],
  ["refuses RESET", "RESET enable_external_access", /got (SET|VARIABLE_SET)/],
  ["refuses PRAGMA", "PRAGMA enable_profiling", /got PRAGMA/],
  ["refuses CALL", "CALL checkpoint()", /got CALL/],
  ["refuses CHECKPOINT", "CHECKPOINT", /got CALL/],
  [
    "refuses CREATE SECRET",
    "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
    /got CREATE|Permission Error/,
  ],
  ["refuses two statements", "SELECT 1; DROP TABLE readings", /exactly one statement, got 2/],
  [
    "refuses query() running other SQL",
    "SELECT * FROM query('DROP TABLE readings')",
    /single SELECT/,
  ],
  ["refuses read_csv of /etc/passwd", "SELECT * FROM read_csv('/etc/passwd')", /Permission Error/],
  ["refuses read_csv_auto", "SELECT * FROM read_csv_auto('/etc/hostname')", /Permission Error/],
  // Replacement scans (a path used as a table name) are off without external access.
  [
    "refuses a file path as a table",
    "SELECT * FROM '/etc/passwd'",
    /does not exist|Permission Error/,
  ],
  ["refuses read_text", "SELECT * FROM read_text('/etc/passwd')", /Permission Error/],
  ["refuses read_blob", "SELECT * FROM read_blob('/etc/passwd')", /Permission Error/],
  ["refuses glob", "SELECT * FROM glob('/etc/*')", /Permission Error/],
  ["refuses read_parquet", "SELECT * FROM read_parquet('/tmp/*.parquet')", /Permission Error/],
  [
    "refuses read_json over the network",
    "SELECT * FROM read_json('http://127.0.0.1:9/x.json')",
    /Permission Error/,
  ],
  ["refuses sniff_csv", "SELECT * FROM sniff_csv('/etc/passwd')", /Permission Error/],
  ["refuses listing extensions from disk", "SELECT * FROM duckdb_extensions()", /Permission Error/],
];

for (const [name, sql, reason] of cases) {
  Deno.test(`query sandbox ${name}`, async () => {
    await withApi(async (fixture) => {
      await fixture.exec(
        `INSERT INTO readings BY NAME SELECT TIMESTAMP_NS '2024-01-01 00:00:00' AS ts,
           TIMESTAMP_NS '2024-01-01 00:00:00' AS recv_ts, 'a' AS agent, 's' AS sensor,
           'm' AS metric, 1.0 AS value, '' AS unit, '{}' AS tags,
           TIMESTAMP_NS '2024-01-01 00:00:00' AS ingested_at`,
      );
      await refused(fixture, sql, reason);
      for (
        const leak of [
          "/tmp/tributary-leak.csv",
          "/tmp/tributary-leak",
          "/tmp/tributary-other.duckdb",
        ]
      ) {
        assertEquals(await exists(leak), false, `${leak} was created`);
      }
    });
  });
}

Deno.test("query sandbox keeps enable_external_access off and locked", async () => {
  await withApi(async ({ call }) => {
    const response = await call(
      "/api/v1/query",
      "admin",
      sqlBody("SELECT current_setting('enable_external_access') AS on"),
    );
    assertEquals((await response.json()).rows, [[false]]);
  });
});

Deno.test("query sandbox interrupts a query past the time limit and the hub keeps answering", async () => {
  await withApi(async ({ call }) => {
    const started = performance.now();
    const response = await call(
      "/api/v1/query",
      "reader",
      sqlBody("SELECT count(*) FROM range(100000000) a, range(100000000) b"),
    );
    const elapsed = performance.now() - started;
    assertEquals(response.status, 400);
    assertMatch((await response.json()).error, /interrupted after the 300 ms time limit/);
    assert(elapsed < 10_000, `took ${elapsed} ms`);
    const after = await call("/api/v1/query", "reader", sqlBody("SELECT 1 AS one"));
    assertEquals((await after.json()).rows, [[1]]);
  }, { query: { timeoutMs: 300 } });
});

Deno.test("query sandbox reports DuckDB's message for bad SQL", async () => {
  await withApi(async ({ call }) => {
    const response = await call("/api/v1/query", "reader", sqlBody("SELECT nope FROM readings"));
    assertEquals(response.status, 400);
    assertMatch((await response.json()).error, /Binder Error.*nope/s);
  });
});

Deno.test("query sandbox keeps reads inside the tier folders the hub allows, without traversal", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/tier-cache`);
  await Deno.writeTextFile(`${dir}/tier-cache/cached.txt`, "cold data");
  await Deno.writeTextFile(`${dir}/auth.duckdb`, "token hashes");
  const store = await HotStore.open({
    path: `${dir}/hub.duckdb`,
    allowedDirectories: [`${dir}/tier-cache/`],
  });
  const metrics = createHubMetrics({ defaultMetrics: false });
  const app = createHubApp({
    store,
    registry: metrics.registry,
    log: createLogger({ sink: () => {} }),
  });
  const ask = async (sql: string) => {
    const response = await app.request("/api/v1/query", sqlBody(sql));
    return { status: response.status, body: await response.json() };
  };
  try {
    const inside = await ask(`SELECT content FROM read_text('${dir}/tier-cache/cached.txt')`);
    assertEquals(inside.body.rows, [["cold data"]]);
    for (
      const path of [
        `${dir}/auth.duckdb`,
        `${dir}/tier-cache/../auth.duckdb`,
        `${dir}/tier-cache/./../auth.duckdb`,
        `${dir}/tier-cache-other/x`,
        `${dir}/tier-cache/*/../../auth.duckdb`,
      ]
    ) {
      const refused = await ask(`SELECT content FROM read_text('${path}')`);
      assertEquals(refused.status, 400, path);
      assertMatch(refused.body.error, /Permission Error/);
    }
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
