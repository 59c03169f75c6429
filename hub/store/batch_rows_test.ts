import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { DuckDBInstance } from "@duckdb/node-api";
import { ChunkShape } from "@tributary/shared/sql/chunks";
import { PermanentError } from "@tributary/shared/errors";
import { makeBatch } from "../testing/batches.ts";
import { checkBatch, fillChunk } from "./batch_rows.ts";
import { hubColumns, schemaStatements } from "./schema.ts";

Deno.test("checkBatch accepts a well-formed batch and refuses wrong column types", () => {
  const batch = makeBatch("trades", { seqs: [1n, 2n] });
  checkBatch(batch);
  const wrong = { ...batch, columns: { ...batch.columns, exchange: Float64Array.of(1, 2) } };
  assertThrows(() => checkBatch(wrong), PermanentError, "column exchange is not of type i32");
  const inverted = { ...batch, firstSeq: 5n, lastSeq: 4n };
  assertThrows(() => checkBatch(inverted), PermanentError, "firstSeq 5 is above lastSeq 4");
});

Deno.test("fillChunk writes the chosen rows in hub column order", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    for (const sql of schemaStatements()) await connection.run(sql);
    const appender = await connection.createAppender("trades");
    const columns = hubColumns("trades");
    const shape = new ChunkShape(columns.map((_, i) => appender.columnType(i)));
    const chunk = shape.create(1);
    fillChunk(shape, chunk, columns, makeBatch("trades", { seqs: [1n, 2n, 3n] }), [2], {
      agent: "x",
      ingestedAt: 9n,
    });
    appender.appendDataChunk(chunk);
    appender.flushSync();
    appender.closeSync();
    const rows = (await connection.runAndReadAll(
      "SELECT agent, symbol, conditions::VARCHAR, epoch_ns(ingested_at) FROM trades",
    )).getRows();
    assertEquals(rows, [["x", "symbol-3", "[3, 4]", 9n]]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});
