import { assertEquals } from "@tributary/shared/testing/asserts";
import { join } from "node:path";
import { HotStore } from "../store/hot_store.ts";
import { copyToParquet, hotWindowSql, parquetStats, sqlString } from "./parquet_export.ts";
import { insertSyntheticRows } from "./synthetic_rows.ts";

Deno.test("copyToParquet writes a window sorted by key then ts, zstd, and parquetStats reads it back", async () => {
  const dir = await Deno.makeTempDir();
  const store = await HotStore.open({ path: ":memory:", allowedDirectories: [dir + "/"] });
  const connection = await store.connect();
  try {
    await insertSyntheticRows(connection, "quotes", {
      fromNs: 0n,
      rows: 1000,
      stepNs: 1_000_000n,
      series: 5,
    });
    const file = join(dir, "q.parquet");
    const rows = await copyToParquet(connection, {
      select: hotWindowSql("quotes", 100_000_000n, 600_000_000n),
      file,
      rowGroupRows: 2048,
    });
    assertEquals(rows, 500);
    assertEquals(await parquetStats(connection, [file]), {
      rows: 500,
      minTs: 100_000_000n,
      maxTs: 599_000_000n,
    });
    const order = await connection.runAndReadAll(
      `SELECT symbol, epoch_ns(ts) FROM read_parquet(${sqlString(file)}) LIMIT 2`,
    );
    assertEquals(order.getRows(), [["SYM0", 100_000_000n], ["SYM0", 105_000_000n]]);
    const codecs = await connection.runAndReadAll(
      `SELECT DISTINCT compression FROM parquet_metadata(${sqlString(file)})`,
    );
    assertEquals(codecs.getRows(), [["ZSTD"]]);
  } finally {
    connection.closeSync();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
