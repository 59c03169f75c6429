import { assertEquals } from "@tributary/shared/testing/asserts";
import { splitCsvLine } from "./csv.ts";

Deno.test("splitCsvLine splits plain and quoted fields", () => {
  assertEquals(splitCsvLine("a,b,,c"), ["a", "b", "", "c"]);
  assertEquals(splitCsvLine('A,"12,37",0,11'), ["A", "12,37", "0", "11"]);
  assertEquals(splitCsvLine('"x""y",1'), ['x"y', "1"]);
  assertEquals(splitCsvLine('a,""'), ["a", ""]);
  assertEquals(splitCsvLine(""), [""]);
});

Deno.test("splitCsvLine refuses open quotes and stray quotes", () => {
  assertEquals(splitCsvLine('A,"12,37'), undefined);
  assertEquals(splitCsvLine('A,"12"x,1'), undefined);
  assertEquals(splitCsvLine('A,1"2,3'), undefined);
});
