import { assertEquals } from "@tributary/shared/testing/asserts";
import {
  blobValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampValue,
  listValue,
  mapValue,
  structValue,
} from "@duckdb/node-api";
import { toJson } from "./json_value.ts";

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
