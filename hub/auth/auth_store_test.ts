import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { AuthStore } from "./auth_store.ts";
import { hashToken } from "./tokens.ts";

async function withStore(fn: (store: AuthStore) => Promise<void>, path = ":memory:") {
  const store = await AuthStore.open({ path });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

Deno.test("AuthStore authenticates a created token and forgets it once revoked", async () => {
  await withStore(async (store) => {
    const created = await store.createToken({ name: "alice", role: "reader" });
    assertMatch(created.token, /^trb_/);
    assertEquals(await store.authenticate(created.token), {
      id: created.id,
      name: "alice",
      role: "reader",
    });
    assertEquals(await store.authenticate(created.token + "x"), undefined);
    assertEquals(await store.revokeToken("alice"), [created.id]);
    assertEquals(await store.authenticate(created.token), undefined);
    assertEquals(await store.revokeToken("alice"), []);
    const [listed] = await store.listTokens();
    assertEquals(listed?.name, "alice");
    assert(listed?.revoked_at !== null);
  });
});

Deno.test("AuthStore keeps only the hash, and tokens survive a reopen", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/auth.duckdb`;
  try {
    let token = "";
    await withStore(async (store) => {
      token = (await store.createToken({ name: "ops", role: "admin" })).token;
    }, path);
    const bytes = await Deno.readFile(path);
    const text = new TextDecoder("latin1").decode(bytes);
    assert(!text.includes(token), "the token text is not in the file");
    assert(text.includes(await hashToken(token)), "its hash is");
    await withStore(async (store) => {
      assertEquals((await store.authenticate(token))?.role, "admin");
    }, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AuthStore records audit rows and filters them newest first", async () => {
  let clock = 1_700_000_000_000_000_000n;
  const store = await AuthStore.open({ path: ":memory:", now: () => (clock += 1_000_000_000n) });
  try {
    const principal = { id: "abc", name: "alice", role: "reader" as const };
    const base = { principal, method: "POST", path: "/api/v1/query", status: 200, bytes: 10 };
    await store.recordAudit({
      ...base,
      action: "query",
      detail: "SELECT 1",
      rows: 1,
      durationMs: 2,
    });
    await store.recordAudit({
      ...base,
      action: "query",
      detail: "SELECT 2",
      rows: 1,
      durationMs: 3,
    });
    await store.recordAudit({
      ...base,
      action: "forbidden",
      detail: "",
      status: 403,
      rows: 0,
      durationMs: 0,
    });
    const all = await store.audit();
    assertEquals(all.map((r) => r.detail), ["", "SELECT 2", "SELECT 1"]);
    assertEquals(all[1]?.token_name, "alice");
    assertMatch(all[1]?.ts ?? "", /Z$/);
    assertEquals((await store.audit({ action: "query", limit: 1 })).map((r) => r.detail), [
      "SELECT 2",
    ]);
    assertEquals(
      (await store.audit({ untilNs: 1_700_000_002_500_000_000n })).map((r) => r.detail),
      ["SELECT 2", "SELECT 1"],
    );
    assertEquals((await store.audit({ tokenName: "bob" })).length, 0);
  } finally {
    await store.close();
  }
});

Deno.test("AuthStore deletes audit rows older than the retention", async () => {
  const day = 86_400_000_000_000n;
  let clock = 1_700_000_000_000_000_000n;
  const dir = await Deno.makeTempDir();
  const path = `${dir}/auth.duckdb`;
  const entry = {
    principal: { id: "abc", name: "alice", role: "reader" as const },
    action: "query",
    method: "POST",
    path: "/api/v1/query",
    status: 200,
    rows: 1,
    bytes: 1,
    durationMs: 1,
  };
  try {
    const first = await AuthStore.open({ path, now: () => clock, auditRetentionNs: 7n * day });
    await first.recordAudit({ ...entry, detail: "old" });
    clock += 3n * day;
    await first.recordAudit({ ...entry, detail: "recent" });
    await first.close();
    clock += 5n * day;
    // Reopened 8 days after the first row: it is past the 7-day retention.
    const second = await AuthStore.open({ path, now: () => clock, auditRetentionNs: 7n * day });
    assertEquals((await second.audit()).map((r) => r.detail), ["recent"]);
    await second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AuthStore prunes old audit rows every 1000 writes while open", async () => {
  const day = 86_400_000_000_000n;
  let clock = 1_700_000_000_000_000_000n;
  const store = await AuthStore.open({
    path: ":memory:",
    now: () => clock,
    auditRetentionNs: 7n * day,
  });
  const entry = {
    principal: { id: "abc", name: "alice", role: "reader" as const },
    action: "query",
    method: "POST",
    path: "/api/v1/query",
    status: 200,
    rows: 1,
    bytes: 1,
    durationMs: 1,
  };
  try {
    await store.recordAudit({ ...entry, detail: "old" });
    clock += 10n * day;
    for (let i = 1; i < 999; i++) await store.recordAudit({ ...entry, detail: `n${i}` });
    assertEquals((await store.audit({ action: "query", limit: 5000 })).length, 999);
    await store.recordAudit({ ...entry, detail: "n999" }); // the 1000th write prunes
    const left = await store.audit({ limit: 5000 });
    assertEquals(left.length, 999);
    assertEquals(left.some((r) => r.detail === "old"), false);
  } finally {
    await store.close();
  }
});
