import {
  BIGINT,
  DOUBLE,
  DuckDBInstance,
  INTEGER,
  LIST,
  listValue,
  VARCHAR,
} from "@duckdb/node-api";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ChunkShape, chunkVector } from "./chunks.ts";

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

Deno.test("ChunkShape makes chunks whose columns are written and appended as setColumnValues does", async () => {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    await conn.run("CREATE TABLE t (a BIGINT, d VARCHAR, e INTEGER[])");
    const shape = new ChunkShape([BIGINT, VARCHAR, LIST(INTEGER)]);
    const appender = await conn.createAppender("t");
    for (const start of [0, 3]) {
      const chunk = shape.create(3);
      shape.setColumn(chunk, 0, [start, start + 1, start + 2].map(BigInt));
      shape.setColumn(chunk, 1, ["x", null, "a string longer than twelve bytes"]);
      shape.setColumn(chunk, 2, [listValue([1]), listValue([]), listValue([2, 3])]);
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
    const rows = (await conn.runAndReadAll("SELECT a, d, len(e) FROM t ORDER BY a")).getRows();
    assertEquals(rows.map((r) => r[0]), [0n, 1n, 2n, 3n, 4n, 5n]);
    assertEquals(rows[1]![1], null);
    assertEquals(rows[5]![1], "a string longer than twelve bytes");
    assertEquals(rows.map((r) => r[2]), [1n, 0n, 2n, 1n, 0n, 2n]);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
});

Deno.test("ChunkShape.setColumn refuses a value count other than the chunk's rows", () => {
  const shape = new ChunkShape([BIGINT]);
  const chunk = shape.create(2);
  assertThrows(
    () => shape.setColumn(chunk, 0, [1n]),
    RangeError,
    "column 0: got 1 values, expected one per row (2)",
  );
});
