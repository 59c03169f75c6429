import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { createLogger } from "@tributary/shared/log";
import { HotStore } from "../store/hot_store.ts";
import { createHubMetrics } from "../metrics.ts";
import { makeBatch, seqRange } from "../testing/batches.ts";
import { createHubApp } from "./app.ts";

const quiet = createLogger({ sink: () => {} });

async function withApp(
  fn: (app: ReturnType<typeof createHubApp>, store: HotStore) => Promise<void>,
) {
  const store = await HotStore.open({ path: ":memory:" });
  const metrics = createHubMetrics({ defaultMetrics: false });
  metrics.rows.inc({ kind: "readings" }, 7);
  try {
    await fn(
      createHubApp({ store, registry: metrics.registry, log: quiet, query: { maxRows: 3 } }),
      store,
    );
  } finally {
    await store.close();
  }
}

function query(sql: unknown): RequestInit {
  return {
    method: "POST",
    body: JSON.stringify({ sql }),
    headers: { "content-type": "application/json" },
  };
}

Deno.test("createHubApp GET /healthz answers ok", async () => {
  await withApp(async (app) => {
    const response = await app.request("/healthz");
    assertEquals(response.status, 200);
    assertEquals(await response.json(), { status: "ok" });
  });
});

Deno.test("createHubApp GET /api/v1/agents lists agents with stream totals", async () => {
  await withApp(async (app, store) => {
    assertEquals(await (await app.request("/api/v1/agents")).json(), { agents: [] });
    await store.ingest(makeBatch("trades", { seqs: seqRange(1n, 4n), agent: "edge-7" }), 1);
    const body = await (await app.request("/api/v1/agents")).json();
    assertEquals(body.agents.length, 1);
    assertEquals(body.agents[0].agent, "edge-7");
    assertEquals(body.agents[0].streams, { trades: { rows: 4, batches: 1, last_seq: 4 } });
    assertMatch(body.agents[0].last_seen, /Z$/);
  });
});

Deno.test("createHubApp POST /api/v1/query runs a SELECT and returns columns and rows", async () => {
  await withApp(async (app, store) => {
    await store.ingest(makeBatch("readings", { seqs: seqRange(1n, 5n) }), 1);
    const response = await app.request(
      "/api/v1/query",
      query("SELECT sensor, ts FROM readings ORDER BY ts"),
    );
    assertEquals(response.status, 200);
    const body = await response.json();
    assertEquals(body.columns, [{ name: "sensor", type: "VARCHAR" }, {
      name: "ts",
      type: "TIMESTAMP_NS",
    }]);
    assertEquals(body.rows[0], ["sensor-1", "2023-11-14T22:13:20.000001000Z"]);
    assertEquals(body.rows.length, 3);
    assertEquals(body.truncated, true);
  });
});

Deno.test("createHubApp POST /api/v1/query answers 400 with a reason for refused or bad SQL", async () => {
  await withApp(async (app, store) => {
    const cases: [RequestInit, RegExp][] = [
      [query("DROP TABLE readings"), /only SELECT/],
      [query("SELECT 1; SELECT 2"), /exactly one statement/],
      [query("SELECT nope FROM readings"), /nope/],
      [query(17), /non-empty string/],
      [{ method: "POST", body: "{not json" }, /expected JSON/],
      [{ method: "POST", body: "[]" }, /"sql" string/],
    ];
    for (const [init, pattern] of cases) {
      const response = await app.request("/api/v1/query", init);
      assertEquals(response.status, 400);
      assertMatch((await response.json()).error, pattern);
    }
    // The table is still there.
    assertEquals(
      (await (await app.request("/api/v1/query", query("SELECT count(*) FROM readings"))).json())
        .rows,
      [[0]],
    );
    void store;
  });
});

Deno.test("createHubApp POST /api/v1/query refuses a body over the limit with 413", async () => {
  await withApp(async (app) => {
    const sql = `SELECT '${"x".repeat(1_100_000)}'`;
    const response = await app.request("/api/v1/query", query(sql));
    assertEquals(response.status, 413);
    assertEquals(await response.json(), { error: "request body too large" });
  });
});

Deno.test("createHubApp GET /metrics serves the registry as Prometheus text", async () => {
  await withApp(async (app) => {
    const response = await app.request("/metrics");
    assertEquals(response.status, 200);
    assertMatch(response.headers.get("content-type") ?? "", /^text\/plain/);
    assertMatch(await response.text(), /^tributary_hub_rows_total\{kind="readings"\} 7$/m);
  });
});

Deno.test("createHubApp answers unknown routes with 404 JSON", async () => {
  await withApp(async (app) => {
    const response = await app.request("/nope");
    assertEquals(response.status, 404);
    assertEquals(await response.json(), { error: "no route for GET /nope" });
  });
});
