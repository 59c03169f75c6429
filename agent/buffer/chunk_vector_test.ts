import { BIGINT, DOUBLE, DuckDBInstance, INTEGER, LIST, VARCHAR } from "@duckdb/node-api";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { chunkVector } from "./chunk_vector.ts";

Deno.test("chunkVector reads every buffer column type as getColumnVector does", async () => {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    // 3,000 rows: two chunks, the second partly filled; NULLs and long strings included.
    const result = await conn.run(
      `SELECT i::BIGINT AS a, i::INTEGER AS b, i / 3 AS c, ` +
        `CASE WHEN i % 7 = 0 THEN NULL ELSE repeat('s', i % 40) END AS d, ` +
        `[i::INTEGER, (i + 1)::INTEGER] AS e FROM range(3000) r(i)`,
    );
    const types = [BIGINT, INTEGER, DOUBLE, VARCHAR, LIST(INTEGER)];
    let rows = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0;) {
      for (let i = 0; i < types.length; i++) {
        const known = chunkVector(chunk, i, types[i]!);
        assertEquals(known.type.toString(), chunk.getColumnVector(i).type.toString());
        assertEquals(known.toArray(), chunk.getColumnVector(i).toArray());
      }
      rows += chunk.rowCount;
      chunk = await result.fetchChunk();
    }
    assertEquals(rows, 3000);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
});
