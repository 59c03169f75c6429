import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { ApiClient, ApiError, TOKEN_KEY, type TokenStore, Unauthorized } from "./api.ts";

function memoryStore(): TokenStore & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: (k) => void items.delete(k),
  };
}

/** A real HTTP server on a free loopback port that requires token "good". */
async function withServer(fn: (baseUrl: string, seen: string[]) => Promise<void>) {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const auth = req.headers.get("authorization") ?? "";
    seen.push(`${req.method} ${new URL(req.url).pathname} ${auth}`);
    if (req.method === "POST") await req.text();
    if (auth !== "Bearer good") {
      return Response.json({ error: "missing or invalid token" }, { status: 401 });
    }
    if (new URL(req.url).pathname === "/broken") return new Response("boom", { status: 500 });
    if (req.method === "POST") return Response.json({ columns: [], rows: [[1]] });
    return Response.json({ ok: true });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

Deno.test("ApiClient sends the stored token as a Bearer header", async () => {
  await withServer(async (baseUrl, seen) => {
    const store = memoryStore();
    const api = new ApiClient({ store, baseUrl });
    api.setToken("  good ");
    assertEquals(store.items.get(TOKEN_KEY), "good");
    assertEquals(await api.json("/x"), { ok: true });
    assertEquals((await api.query("SELECT 1")).rows, [[1]]);
    assertEquals(seen, ["GET /x Bearer good", "POST /api/v1/query Bearer good"]);
  });
});

Deno.test("ApiClient raises Unauthorized on 401 with the hub's message, ApiError otherwise", async () => {
  await withServer(async (baseUrl) => {
    const api = new ApiClient({ store: memoryStore(), baseUrl });
    let error: unknown;
    try {
      await api.text("/metrics");
    } catch (e) {
      error = e;
    }
    assert(error instanceof Unauthorized, String(error));
    assertEquals(error.message, "missing or invalid token");
    api.setToken("good");
    try {
      await api.json("/broken");
    } catch (e) {
      error = e;
    }
    assert(error instanceof ApiError, String(error));
    assertEquals([error.status, error.message], [500, "boom"]);
    api.setToken("");
    assertEquals(api.token, null);
  });
});

Deno.test("ApiClient reports an unreachable hub as ApiError status 0", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const api = new ApiClient({ store: memoryStore(), baseUrl: `http://127.0.0.1:${port}` });
  try {
    await api.json("/healthz");
    throw new Error("expected a failure");
  } catch (error) {
    assert(error instanceof ApiError, String(error));
    assertEquals(error.status, 0);
  }
});
