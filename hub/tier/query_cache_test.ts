import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { join } from "node:path";
import { sha256File } from "./etag.ts";
import { LocalObjectStore } from "./local_object_store.ts";
import { type CachedObjectRef, QueryCache } from "./query_cache.ts";
import { createTierMetrics } from "./tier_metrics.ts";

Deno.test("QueryCache keeps at most maxBytes, evicts least recently used, never a pinned file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new LocalObjectStore(join(dir, "cold"));
    const refs: CachedObjectRef[] = [];
    for (const name of ["a", "b", "c"]) {
      const file = join(dir, name);
      await Deno.writeFile(file, new Uint8Array(600_000).fill(name.charCodeAt(0)));
      await store.put(`k/${name}`, file, {});
      refs.push({ key: `k/${name}`, sizeBytes: 600_000, sha256: await sha256File(file) });
    }
    const metrics = createTierMetrics();
    const cache = new QueryCache({ dir: join(dir, "cache"), maxBytes: 1_300_000, store, metrics });
    await cache.init();
    const first = await cache.acquire([refs[0]!, refs[1]!]);
    first.release();
    const pinned = await cache.acquire([refs[1]!]); // b is now the most recent, and pinned
    const third = await cache.acquire([refs[2]!]); // over budget: a (least recent) goes
    assertEquals(cache.bytes, 1_200_000);
    assert(!await exists(first.files[0]!), "a should be evicted");
    assert(await exists(pinned.files[0]!), "b is pinned");
    third.release();
    pinned.release();
    assertEquals(
      (await metrics.cache.get()).values.find((v) => v.labels.result === "miss")?.value,
      3,
    );
    // A corrupt object (size or SHA-256 not as catalogued) is refused, and nothing stays pinned.
    await assertRejects(() => cache.acquire([{ ...refs[0]!, sha256: "0".repeat(64) }]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("QueryCache.init removes only the cache's own files from an earlier run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const old = join(dir, "0123456789abcdef-kind=logs_date=2026-11-18_part-0000-x.parquet");
    const other = join(dir, "hub.duckdb");
    await Deno.writeTextFile(old, "old");
    await Deno.writeTextFile(other, "precious");
    const cache = new QueryCache({ dir, maxBytes: 1 << 20, store: new LocalObjectStore(dir) });
    await cache.init();
    assert(!await exists(old));
    assert(await exists(other));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
