import { assertEquals } from "@tributary/shared/testing/asserts";
import { DuckDBInstance } from "@duckdb/node-api";
import {
  clearCommittedPending,
  ensureCatalog,
  garbageKeys,
  insertObject,
  listObjects,
  markPending,
} from "./catalog.ts";

Deno.test("catalog lists objects by kind and time range, and pending keys not catalogued are garbage", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await ensureCatalog(connection);
    await ensureCatalog(connection); // idempotent
    const base = {
      partition: "kind=readings/date=1970-01-01/",
      rowCount: 10,
      sizeBytes: 100,
      sha256: "s",
      etag: "e",
      storageClass: "STANDARD",
      createdAt: 0n,
    };
    await insertObject(connection, { ...base, key: "a", kind: "readings", minTs: 0n, maxTs: 99n });
    await insertObject(connection, {
      ...base,
      key: "b",
      kind: "readings",
      minTs: 100n,
      maxTs: 199n,
    });
    await insertObject(connection, { ...base, key: "c", kind: "logs", minTs: 0n, maxTs: 99n });
    const keys = async (options: Parameters<typeof listObjects>[1]) =>
      (await listObjects(connection, options)).map((o) => o.key);
    assertEquals(await keys({ kinds: ["readings"] }), ["a", "b"]);
    assertEquals(await keys({ kinds: ["readings"], fromNs: 150n }), ["b"]);
    assertEquals(await keys({ toNs: 50n }), ["a", "c"]);
    assertEquals(await keys({ kinds: [] }), []);
    await markPending(connection, "a", "tier", 0n);
    await markPending(connection, "zombie", "tier", 0n);
    assertEquals(await garbageKeys(connection), ["zombie"]);
    await clearCommittedPending(connection);
    const pending = await connection.runAndReadAll("SELECT key FROM tier_pending");
    assertEquals(pending.getRows(), [["zombie"]]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});
