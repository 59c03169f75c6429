import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { join } from "node:path";
import { LocalObjectStore } from "./local_object_store.ts";

Deno.test("LocalObjectStore puts, verifies, lists, archives and deletes files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = new LocalObjectStore(join(dir, "cold"));
    const file = join(dir, "x.parquet");
    await Deno.writeTextFile(file, "parquet bytes");
    await store.put("kind=logs/date=2026-11-18/a.parquet", file, {});
    const head = await store.head("kind=logs/date=2026-11-18/a.parquet");
    assertEquals(head?.size, 13);
    assertEquals(head?.etag, await store.expectedEtag(file));
    assertEquals((await store.list("kind=logs/")).map((o) => o.key), [
      "kind=logs/date=2026-11-18/a.parquet",
    ]);
    await store.download("kind=logs/date=2026-11-18/a.parquet", join(dir, "back"));
    assertEquals(await Deno.readTextFile(join(dir, "back")), "parquet bytes");
    await store.archive("kind=logs/date=2026-11-18/a.parquet", "GLACIER");
    assertEquals(
      (await store.head("kind=logs/date=2026-11-18/a.parquet"))?.storageClass,
      "ARCHIVE",
    );
    assertEquals(await store.list(""), []);
    await store.delete("kind=logs/date=2026-11-18/a.parquet");
    await store.delete("kind=logs/date=2026-11-18/a.parquet"); // already gone: no error
    assertEquals(await store.head("kind=logs/date=2026-11-18/a.parquet"), undefined);
    await assertRejects(() => store.put("../escape.parquet", file, {}));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
