import { assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { HotStore } from "../store/hot_store.ts";
import { insertSyntheticRows } from "./synthetic_rows.ts";

Deno.test("insertSyntheticRows fills every kind with the asked rows, times and series", async () => {
  const store = await HotStore.open({ path: ":memory:" });
  const connection = await store.connect();
  try {
    for (const kind of KINDS) {
      const n = await insertSyntheticRows(connection, kind, {
        fromNs: 1_000_000_000n,
        rows: 100,
        stepNs: 1_000_000_000n,
        series: 4,
      });
      assertEquals(n, 100);
      const reader = await connection.runAndReadAll(
        `SELECT count(*), epoch_ns(min(ts)), epoch_ns(max(ts)) FROM ${kind}`,
      );
      assertEquals(reader.getRows()[0], [100n, 1_000_000_000n, 100_000_000_000n]);
    }
  } finally {
    connection.closeSync();
    await store.close();
  }
});
