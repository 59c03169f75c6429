import { Registry } from "prom-client";
import { createLogger } from "@tributary/shared/log";
import { type Kind, KINDS } from "@tributary/shared/records";
import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import type { StreamStats } from "../buffer/mod.ts";
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
