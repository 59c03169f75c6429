import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { sqlBody, withApi } from "./testing/api_fixture.ts";

Deno.test("authenticate answers 401 with WWW-Authenticate without a valid token in token mode", async () => {
  await withApi(async ({ app, call }) => {
    const missing = await call("/api/v1/agents", undefined);
    assertEquals(missing.status, 401);
    assertMatch(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
    assertMatch((await missing.json()).error, /missing token/);
    const wrong = await app.request("/api/v1/agents", {
      headers: { authorization: "Bearer trb_not-a-token" },
    });
    assertEquals(wrong.status, 401);
    assertMatch((await wrong.json()).error, /invalid or revoked/);
    const basic = await app.request("/api/v1/query", {
      ...sqlBody("SELECT 1"),
      headers: { authorization: "Basic dXNlcjpwYXNz" },
    });
    assertEquals(basic.status, 401);
    const page = await (await app.request("/metrics")).text();
    assertMatch(page, /tributary_hub_auth_failures_total\{reason="missing"\} 1/);
    assertMatch(page, /tributary_hub_auth_failures_total\{reason="invalid"\} 2/);
  });
});

Deno.test("admit answers 403 to a role the route does not admit, and audits it", async () => {
  await withApi(async ({ call, auth }) => {
    const forbidden = await call("/api/v1/tokens", "reader");
    assertEquals(forbidden.status, 403);
    assertMatch((await forbidden.json()).error, /role "reader" may not call GET \/api\/v1\/tokens/);
    assertEquals((await call("/api/v1/query", "agent", sqlBody("SELECT 1"))).status, 403);
    assertEquals((await call("/api/v1/logs", "agent")).status, 403);
    assertEquals((await call("/api/v1/agents", "agent")).status, 200);
    assertEquals((await call("/api/v1/query", "reader", sqlBody("SELECT 1"))).status, 200);
    assertEquals((await call("/api/v1/tokens", "admin")).status, 200);
    const refused = await auth.audit({ action: "forbidden" });
    assertEquals(refused.map((r) => `${r.token_name} ${r.path}`).sort(), [
      "agent-1 /api/v1/logs",
      "agent-1 /api/v1/query",
      "reader-1 /api/v1/tokens",
    ]);
  });
});

Deno.test("whoami names the caller and the mode", async () => {
  await withApi(async ({ call }) => {
    const me = await (await call("/api/v1/whoami", "agent")).json();
    assertEquals([me.name, me.role, me.mode], ["agent-1", "agent", "token"]);
  });
});

Deno.test("open mode admits calls without a token as admin but still refuses a wrong token", async () => {
  await withApi(async ({ app, call }) => {
    const me = await (await app.request("/api/v1/whoami")).json();
    assertEquals(me, { id: "open", name: "open", role: "admin", mode: "open" });
    assertEquals((await app.request("/api/v1/tokens")).status, 200);
    const wrong = await app.request("/api/v1/whoami", {
      headers: { authorization: "Bearer nope" },
    });
    assertEquals(wrong.status, 401);
    // A valid token keeps its own (smaller) role in open mode.
    assertEquals((await call("/api/v1/tokens", "reader")).status, 403);
  }, { mode: "open" });
});

Deno.test("public routes need no token; /metrics needs one when publicMetrics is false", async () => {
  await withApi(async ({ app, call }) => {
    assertEquals((await app.request("/healthz")).status, 200);
    assertEquals((await app.request("/api/v1/openapi.json")).status, 200);
    assertEquals((await app.request("/metrics")).status, 401);
    const page = await call("/metrics", "agent");
    assertEquals(page.status, 200);
    assert((await page.text()).includes("tributary_hub_http_requests_total"));
  }, { publicMetrics: false });
});

Deno.test("a revoked token is refused at once", async () => {
  await withApi(async ({ call, auth }) => {
    assertEquals((await call("/api/v1/whoami", "reader")).status, 200);
    await auth.revokeToken("reader-1");
    assertEquals((await call("/api/v1/whoami", "reader")).status, 401);
  });
});
