import { assertEquals } from "@tributary/shared/testing/asserts";
import {
  blobValue,
  DuckDBInstance,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampValue,
  listValue,
  mapValue,
  structValue,
} from "@duckdb/node-api";
import { chunkToJsonRows, jsonConverter, toJson } from "./json_value.ts";

Deno.test("toJson renders timestamps as ISO-8601 with nine fractional digits", () => {
  assertEquals(
    toJson(new DuckDBTimestampNanosecondsValue(1_700_000_000_123_456_789n)),
    "2023-11-14T22:13:20.123456789Z",
  );
  assertEquals(
    toJson(new DuckDBTimestampValue(1_700_000_000_123_456n)),
    "2023-11-14T22:13:20.123456000Z",
  );
  assertEquals(toJson(DuckDBTimestampValue.PosInf), "infinity");
});

Deno.test("toJson keeps bigints exact: numbers when safe, strings beyond", () => {
  assertEquals(toJson(9007199254740991n), 9007199254740991);
  assertEquals(toJson(-9007199254740991n), -9007199254740991);
  assertEquals(toJson(9007199254740992n), "9007199254740992");
});

Deno.test("toJson maps lists, structs, maps and blobs to JSON", () => {
  assertEquals(toJson(listValue([1, 2n, null])), [1, 2, null]);
  assertEquals(toJson(structValue({ a: "x", b: listValue([]) })), { a: "x", b: [] });
  assertEquals(toJson(mapValue([{ key: "k", value: 1 }, { key: 5, value: 2 }])), { k: 1, "5": 2 });
  assertEquals(toJson(blobValue(new Uint8Array([104, 105]))), "aGk=");
  assertEquals(toJson(Infinity), "Infinity");
});

Deno.test("jsonConverter and chunkToJsonRows give exactly what toJson gives", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const result = await connection.run(
      `SELECT * FROM (VALUES
         ('2024-05-01 12:00:00.123456789'::TIMESTAMP_NS, '2024-05-01 12:00:00.5'::TIMESTAMP,
          '2024-05-01 12:00:00+02'::TIMESTAMPTZ, 'x', [1]),
         ('2024-05-01 12:00:00.000000001'::TIMESTAMP_NS, 'infinity'::TIMESTAMP,
          NULL, NULL, NULL),
         ('1969-12-31 23:59:59.999999999'::TIMESTAMP_NS, '-infinity'::TIMESTAMP,
          '1900-01-01 00:00:00+00'::TIMESTAMPTZ, '', []),
         (NULL, NULL, NULL, 'é', [2, 3])) t(ns, us, tz, s, l)`,
    );
    const chunk = (await result.fetchChunk())!;
    const converters = result.columnTypes().map(jsonConverter);
    assertEquals(
      chunkToJsonRows(chunk, converters),
      chunk.getRows().map((row) => row.map(toJson)),
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});
