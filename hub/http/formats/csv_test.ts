import { assertEquals } from "@tributary/shared/testing/asserts";
import { DuckDBInstance } from "@duckdb/node-api";
import { streamReadOnlyQuery } from "@tributary/shared/sql/read_only_query";
import { csvEncoder, csvField } from "./csv.ts";

Deno.test("csvField quotes only what needs quoting", () => {
  assertEquals(csvField("plain"), "plain");
  assertEquals(csvField('say "hi", twice'), '"say ""hi"", twice"');
  assertEquals(csvField("two\nlines"), '"two\nlines"');
});

Deno.test("csvEncoder writes a header even for an empty result", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const encoder = csvEncoder();
  try {
    const summary = await streamReadOnlyQuery(
      connection,
      "SELECT 1 AS a, 'x' AS b WHERE false",
      {},
      encoder.sink,
    );
    const { body } = await encoder.finish(summary);
    assertEquals(new TextDecoder().decode(body), "a,b\r\n");
  } finally {
    await encoder.close();
    connection.closeSync();
    instance.closeSync();
  }
});
