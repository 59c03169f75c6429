import { DuckDBInstance } from "@duckdb/node-api";
import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { bodyColumns, KINDS } from "@tributary/shared/records";
import {
  approxRowBytesSql,
  bufferSqlType,
  createBufferTableSql,
  quoteIdent,
  schemaStatements,
  utf8Length,
} from "./schema.ts";
import { SegmentLayout } from "./segments.ts";

Deno.test("createBufferTableSql lists seq and every body column in order", () => {
  const sql = createBufferTableSql("trades", "buffer_trades");
  assertMatch(
    sql,
    /^CREATE TABLE IF NOT EXISTS buffer_trades \("seq" BIGINT NOT NULL, "ts" BIGINT/,
  );
  assertMatch(sql, /"conditions" INTEGER\[\] NOT NULL/);
});

Deno.test("bufferSqlType maps json to VARCHAR and ts_ns to BIGINT", () => {
  assertEquals(bufferSqlType("json"), "VARCHAR");
  assertEquals(bufferSqlType("ts_ns"), "BIGINT");
  assertEquals(bufferSqlType("i32_list"), "INTEGER[]");
});

Deno.test("quoteIdent doubles embedded quotes", () => {
  assertEquals(quoteIdent('a"b'), '"a""b"');
});

Deno.test("schemaStatements and the segment layout make a view per stream matching bodyColumns, twice", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    for (let i = 0; i < 2; i++) {
      for (const sql of schemaStatements()) await conn.run(sql);
      await SegmentLayout.load(conn, conn);
    }
    for (const kind of KINDS) {
      const reader = await conn.runAndReadAll(`DESCRIBE buffer_${kind}`);
      const names = reader.getRows().map((r) => r[0]);
      assertEquals(names, bodyColumns(kind).map((c) => c.name));
      const bytes = await conn.runAndReadAll(
        `SELECT coalesce(sum(${approxRowBytesSql(kind)}), 0) FROM buffer_${kind}`,
      );
      assertEquals(bytes.getRows()[0]?.[0], 0n);
    }
    const streams = await conn.runAndReadAll("SELECT count(*) FROM streams");
    assertEquals(streams.getRows()[0]?.[0], BigInt(KINDS.length));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});

Deno.test("utf8Length counts UTF-8 bytes as TextEncoder does, a lone surrogate as U+FFFD", () => {
  const texts = [
    "",
    "a",
    "é",
    "€",
    "😀",
    "a😀b",
    "\ud800",
    "\udc00",
    "x\ud83d",
    "\ud83d\ud83d\ude00",
  ];
  for (const text of texts) {
    assertEquals(utf8Length(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  }
});
