import { assertEquals } from "@tributary/shared/testing/asserts";
import { DuckDBInstance } from "@duckdb/node-api";
import { kindColumns, KINDS } from "@tributary/shared/records";
import { createKindTableSql, hubColumns, quoteIdent, schemaStatements } from "./schema.ts";

Deno.test("hubColumns puts ts, recv_ts, agent, the kind's columns, then ingested_at", () => {
  for (const kind of KINDS) {
    assertEquals(hubColumns(kind).map((c) => c.name), [
      "ts",
      "recv_ts",
      "agent",
      ...kindColumns(kind).map((c) => c.name),
      "ingested_at",
    ]);
  }
  assertEquals(hubColumns("trades").find((c) => c.name === "conditions")?.sqlType, "INTEGER[]");
});

Deno.test("createKindTableSql quotes names and makes every column NOT NULL", () => {
  assertEquals(
    createKindTableSql("logs"),
    'CREATE TABLE IF NOT EXISTS "logs" ("ts" TIMESTAMP_NS NOT NULL, "recv_ts" TIMESTAMP_NS NOT NULL, ' +
      '"agent" VARCHAR NOT NULL, "source" VARCHAR NOT NULL, "level" VARCHAR NOT NULL, ' +
      '"message" VARCHAR NOT NULL, "fields" JSON NOT NULL, "ingested_at" TIMESTAMP_NS NOT NULL)',
  );
  assertEquals(quoteIdent('a"b'), '"a""b"');
});

Deno.test("schemaStatements create every table in DuckDB, twice without error", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    for (let i = 0; i < 2; i++) {
      for (const sql of schemaStatements()) await connection.run(sql);
    }
    const reader = await connection.runAndReadAll(
      "SELECT table_name FROM information_schema.tables ORDER BY table_name",
    );
    assertEquals(reader.getRows().map((r) => r[0]), [
      "agent_heartbeats",
      "agent_streams",
      "ingested_batches",
      "logs",
      "quarantine",
      "quotes",
      "readings",
      "trades",
    ]);
    const types = await connection.runAndReadAll(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'readings'",
    );
    assertEquals(types.getRows(), [
      ["ts", "TIMESTAMP_NS"],
      ["recv_ts", "TIMESTAMP_NS"],
      ["agent", "VARCHAR"],
      ["sensor", "VARCHAR"],
      ["metric", "VARCHAR"],
      ["value", "DOUBLE"],
      ["unit", "VARCHAR"],
      ["tags", "JSON"],
      ["ingested_at", "TIMESTAMP_NS"],
    ]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});
