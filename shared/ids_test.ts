import { assertEquals } from "./testing/asserts.ts";
import { isAgentId } from "./ids.ts";

Deno.test("isAgentId accepts safe ids and rejects topic wildcards, slashes and overlong ids", () => {
  for (const ok of ["a", "dev-1", "plant_7.line-3", "X".repeat(64)]) {
    assertEquals(isAgentId(ok), true, ok);
  }
  for (const bad of ["", "a/b", "a+b", "#", "-a", ".a", "X".repeat(65), 5, null]) {
    assertEquals(isAgentId(bad), false, String(bad));
  }
});
