import { assertEquals } from "@tributary/shared/testing/asserts";
import { DuckDBInstance } from "@duckdb/node-api";
import { tableFromIPC } from "apache-arrow";
import { streamReadOnlyQuery } from "@tributary/shared/sql/read_only_query";
import { arrowEncoder, utf8Vector } from "./arrow.ts";

Deno.test("arrowEncoder maps DuckDB types and renames repeated column names", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const encoder = arrowEncoder();
  try {
    const summary = await streamReadOnlyQuery(
      connection,
      `SELECT true AS b, 7::SMALLINT AS i, 2.5::DECIMAL(4,2) AS d, TIMESTAMP '2024-01-01 00:00:01' AS t,
              {'k': 1} AS s, 1 AS b`,
      {},
      encoder.sink,
    );
    const table = tableFromIPC((await encoder.finish(summary)).body);
    assertEquals(table.schema.fields.map((f) => `${f.name}:${f.type}`), [
      "b:Bool",
      "i:Int32",
      "d:Float64",
      "t:Timestamp<NANOSECOND, UTC>",
      "s:Utf8",
      "b_2:Int32",
    ]);
    assertEquals(table.get(0)?.toJSON().s, '{"k":1}');
    assertEquals(table.getChild("t")!.data[0]!.values[0], 1_704_067_201_000_000_000n);
  } finally {
    await encoder.close();
    connection.closeSync();
    instance.closeSync();
  }
});

Deno.test("utf8Vector keeps nulls, empty and multi-byte text", () => {
  const values = ["a", null, "", "héllo €", "🙂".repeat(40)];
  const vector = utf8Vector(values);
  assertEquals(vector.toArray(), values);
  assertEquals(vector.nullCount, 1);
});
