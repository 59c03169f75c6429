import { assertEquals } from "@tributary/shared/testing/asserts";
import { compilePath, getPath } from "./paths.ts";

Deno.test("compilePath splits on dots and refuses empty or blank segments", () => {
  assertEquals(compilePath("data.price"), ["data", "price"]);
  assertEquals(compilePath(""), []);
  assertEquals(compilePath("a..b"), undefined);
  assertEquals(compilePath("a. b"), undefined);
});

Deno.test("getPath follows objects and array indexes, and never the prototype", () => {
  const value = { data: { p: 1.5, c: [12, 37] } };
  assertEquals(getPath(value, compilePath("data.p")!), 1.5);
  assertEquals(getPath(value, compilePath("data.c.1")!), 37);
  assertEquals(getPath(value, compilePath("data.x")!), undefined);
  assertEquals(getPath(value, compilePath("data.p.q")!), undefined);
  assertEquals(getPath(value, compilePath("constructor")!), undefined);
  assertEquals(getPath(null, compilePath("a")!), undefined);
});
