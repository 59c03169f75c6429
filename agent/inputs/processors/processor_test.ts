import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { globsMatcher, globToRegExp } from "./processor.ts";

Deno.test("globToRegExp matches * and ? and nothing else specially", () => {
  assert(globToRegExp("usage_*").test("usage_user"));
  assert(!globToRegExp("usage_*").test("xusage_user"));
  assert(globToRegExp("cpu?").test("cpu0"));
  assert(!globToRegExp("cpu?").test("cpu10"));
  assert(globToRegExp("a.b+(c)").test("a.b+(c)"));
  assert(!globToRegExp("a.b").test("axb"));
});

Deno.test("globsMatcher treats an empty list as all or nothing", () => {
  assertEquals(globsMatcher([], true)("x"), true);
  assertEquals(globsMatcher([], false)("x"), false);
  assertEquals(globsMatcher(["a*", "b"], false)("b"), true);
});
