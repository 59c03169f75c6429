import { Registry } from "prom-client";
import { createLogger } from "@tributary/shared/log";
import { type Kind, KINDS } from "@tributary/shared/records";
import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { AgentBuffer, type StreamStats } from "../buffer/mod.ts";
import { createHttpApp, startHttpServer } from "./server.ts";

function stats(): Record<Kind, StreamStats> {
  const out = {} as Record<Kind, StreamStats>;
  for (const k of KINDS) {
    out[k] = {
      backlog_rows: 1,
      backlog_bytes: 2,
      oldest_unsent_age_s: 0.5,
      next_seq: 4,
      acked_rows: 3,
      dropped: {},
    };
  }
  return out;
}

const sources = {
  agent: "edge-1",
  registry: new Registry(),
  stats: () => Promise.resolve(stats()),
  log: createLogger({ sink: () => {} }),
};

Deno.test("createHttpApp answers /healthz, /status and /metrics", async () => {
  const app = createHttpApp(sources);
  const health = await app.request("/healthz");
  assertEquals([health.status, await health.json()], [200, { status: "ok" }]);
  const status = await app.request("/status");
  assertEquals(await status.json(), { agent: "edge-1", streams: stats() });
  const metrics = await app.request("/metrics");
  assertEquals(metrics.status, 200);
  assertMatch(metrics.headers.get("content-type") ?? "", /text\/plain/);
  await metrics.text();
  const missing = await app.request("/nope");
  assertEquals(missing.status, 404);
  await missing.json();
});

Deno.test("createHttpApp turns a failing source into a JSON 500", async () => {
  const app = createHttpApp({
    ...sources,
    stats: () => Promise.reject(new Error("buffer is closed")),
  });
  const res = await app.request("/status");
  assertEquals([res.status, await res.json()], [500, { error: "buffer is closed" }]);
});

Deno.test("startHttpServer listens on a free port and closes", async () => {
  const server = await startHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    app: createHttpApp(sources),
  });
  try {
    assertMatch(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/healthz`);
    assertEquals(await res.json(), { status: "ok" });
  } finally {
    await server.close();
    await server.close();
  }
});

Deno.test("createHttpApp POST /query runs a SELECT on the buffer and refuses anything else", async () => {
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  try {
    const app = createHttpApp({ ...sources, query: (sql) => buffer.query(sql) });
    const post = (body: string) => app.request("/query", { method: "POST", body });
    const ok = await post(
      JSON.stringify({ sql: "SELECT stream, next_seq FROM streams ORDER BY stream" }),
    );
    assertEquals(ok.status, 200);
    const result = await ok.json();
    assertEquals(result.columns, [{ name: "stream", type: "VARCHAR" }, {
      name: "next_seq",
      type: "BIGINT",
    }]);
    assertEquals(result.rows.length, 4);
    for (const sql of ["DELETE FROM streams", "SELECT 1; SELECT 2", "SELECT * FROM nope"]) {
      const refused = await post(JSON.stringify({ sql }));
      assertEquals(refused.status, 400, sql);
      assertMatch((await refused.json()).error, /sql|nope|Catalog/, sql);
    }
    const notJson = await post("{");
    assertEquals(notJson.status, 400);
    await notJson.body?.cancel();
    const files = await post(JSON.stringify({ sql: "SELECT * FROM read_csv('/etc/passwd')" }));
    assertEquals(files.status, 400);
    await files.body?.cancel();
    const left = await buffer.query("SELECT count(*) AS n FROM streams");
    assertEquals(left.rows, [[4]]);
  } finally {
    await buffer.close();
  }
});

Deno.test("createHttpApp without a query source has no POST /query", async () => {
  const res = await createHttpApp(sources).request("/query", { method: "POST", body: "{}" });
  assertEquals(res.status, 404);
  await res.body?.cancel();
});
