import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { withApi } from "../testing/api_fixture.ts";

const json = (body: unknown): RequestInit => ({
  method: "POST",
  body: JSON.stringify(body),
  headers: { "content-type": "application/json" },
});

Deno.test("admin creates a token over the API, the new token works, revoking ends it", async () => {
  await withApi(async ({ app, call }) => {
    const created = await call("/api/v1/tokens", "admin", json({ name: "alice", role: "reader" }));
    assertEquals(created.status, 201);
    const token = await created.json();
    assertMatch(token.token, /^trb_/);
    assertEquals([token.name, token.role, token.revoked_at], ["alice", "reader", null]);
    const asAlice = { headers: { authorization: `Bearer ${token.token}` } };
    assertEquals((await (await app.request("/api/v1/whoami", asAlice)).json()).name, "alice");
    const listed = await (await call("/api/v1/tokens", "admin")).json();
    assert(listed.tokens.some((t: { name: string }) => t.name === "alice"));
    assert(!JSON.stringify(listed).includes(token.token), "the list never carries secrets");
    const revoked = await call(`/api/v1/tokens/${token.id}`, "admin", { method: "DELETE" });
    assertEquals(await revoked.json(), { revoked: [token.id] });
    assertEquals((await app.request("/api/v1/whoami", asAlice)).status, 401);
    const again = await call(`/api/v1/tokens/${token.id}`, "admin", { method: "DELETE" });
    assertEquals(again.status, 404);
  });
});

Deno.test("POST /api/v1/tokens refuses a bad name or role", async () => {
  await withApi(async ({ call }) => {
    const role = await call("/api/v1/tokens", "admin", json({ name: "bob", role: "root" }));
    assertEquals(role.status, 400);
    assertMatch(
      (await role.json()).error,
      /role: got "root", expected one of agent, reader, admin/,
    );
    const name = await call("/api/v1/tokens", "admin", json({ name: "a b", role: "reader" }));
    assertEquals(name.status, 400);
    assertMatch((await name.json()).error, /^name:/);
  });
});

Deno.test("GET /api/v1/audit shows queries and admin actions to admins only", async () => {
  await withApi(async ({ call }) => {
    await call("/api/v1/query", "reader", {
      method: "POST",
      body: JSON.stringify({ sql: "SELECT 1" }),
    });
    await call("/api/v1/tokens", "admin", json({ name: "carol", role: "agent" }));
    assertEquals((await call("/api/v1/audit", "reader")).status, 403);
    const { entries } = await (await call("/api/v1/audit", "admin")).json();
    const actions = entries.map((e: { action: string; token_name: string }) =>
      `${e.action} by ${e.token_name}`
    );
    assertEquals(actions.length, 3);
    assert(actions.includes("query by reader-1"));
    assert(actions.includes("token.create by admin-1"));
    assert(actions.includes("forbidden by reader-1"));
    const onlyQueries = await (await call("/api/v1/audit?action=query", "admin")).json();
    assertEquals(onlyQueries.entries.length, 1);
    assertEquals(onlyQueries.entries[0].detail, "SELECT 1");
    const bad = await call("/api/v1/audit?limit=abc", "admin");
    assertEquals((await bad.json()).parameter, "limit");
  });
});

Deno.test("GET /api/v1/quarantine lists quarantined messages without their bytes", async () => {
  await withApi(async ({ call, store }) => {
    await store.quarantine({
      source: "mqtt",
      topic: "tributary/v1/edge-1/readings",
      reason: "bad_checksum",
      detail: "checksum mismatch",
      raw: new Uint8Array([1, 2, 3]),
    });
    assertEquals((await call("/api/v1/quarantine", "reader")).status, 403);
    const body = await (await call("/api/v1/quarantine?reason=bad_checksum", "admin")).json();
    assertEquals(body.columns.map((c: { name: string }) => c.name), [
      "received_at",
      "source",
      "topic",
      "reason",
      "detail",
      "size",
    ]);
    assertEquals(body.rows[0].slice(1), [
      "mqtt",
      "tributary/v1/edge-1/readings",
      "bad_checksum",
      "checksum mismatch",
      3,
    ]);
  });
});
