import { assertEquals, assertMatch, assertRejects } from "@tributary/shared/testing/asserts";
import { getJson, getText, HttpHelperError, postJson } from "./http.ts";

/** Serves `handler` on a free loopback port for the duration of `fn`. */
async function withServer(
  handler: (request: Request) => Response | Promise<Response>,
  fn: (base: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("getJson returns the status and the parsed body", async () => {
  await withServer(() => Response.json({ status: "ok" }), async (base) => {
    const res = await getJson(`${base}/healthz`);
    assertEquals(res.status, 200);
    assertEquals(res.body, { status: "ok" });
  });
});

Deno.test("postJson sends a JSON body and reads an error response too", async () => {
  await withServer(async (request) => {
    const payload = await request.json();
    return Response.json(
      { error: `refused ${payload.sql}`, type: request.headers.get("content-type") },
      { status: 400 },
    );
  }, async (base) => {
    const res = await postJson(`${base}/api/v1/query`, { sql: "DROP TABLE x" });
    assertEquals(res.status, 400);
    assertEquals(res.body, { error: "refused DROP TABLE x", type: "application/json" });
  });
});

Deno.test("getJson names the URL when the body is not JSON", async () => {
  await withServer(() => new Response("# HELP up"), async (base) => {
    const error = await assertRejects(() => getJson(`${base}/metrics`), HttpHelperError);
    assertMatch(error.message, /GET .*\/metrics: status 200, body is not JSON/);
  });
});

Deno.test("getText returns the body as text and getJson gives null for an empty body", async () => {
  await withServer(
    (request) =>
      new URL(request.url).pathname === "/empty" ? new Response(null) : new Response("up 1\n"),
    async (base) => {
      assertEquals((await getText(`${base}/metrics`)).body, "up 1\n");
      assertEquals((await getJson(`${base}/empty`)).body, null);
    },
  );
});

Deno.test("getJson times out on a server that does not answer", async () => {
  const { promise: release, resolve } = Promise.withResolvers<void>();
  await withServer(async () => {
    await release;
    return new Response("late");
  }, async (base) => {
    try {
      const error = await assertRejects(
        () => getJson(`${base}/slow`, { timeoutMs: 200 }),
        HttpHelperError,
      );
      assertMatch(error.message, /GET .*\/slow: no complete response within 200 ms/);
    } finally {
      resolve();
    }
  });
});
