import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ParamError } from "../params.ts";
import { chooseFormat } from "./result_format.ts";

Deno.test("chooseFormat prefers ?format=, then Accept, then JSON", () => {
  assertEquals(chooseFormat(undefined, undefined), "json");
  assertEquals(chooseFormat("", "text/html, */*"), "json");
  assertEquals(chooseFormat(undefined, "text/csv;q=0.9"), "csv");
  assertEquals(chooseFormat(undefined, "application/vnd.apache.arrow.stream"), "arrow");
  assertEquals(chooseFormat(undefined, "text/html, application/x-parquet"), "parquet");
  assertEquals(chooseFormat("csv", "application/vnd.apache.arrow.stream"), "csv");
  assertThrows(() => chooseFormat("xlsx", undefined), ParamError, 'parameter "format"');
});
