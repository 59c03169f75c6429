import { assertEquals } from "@tributary/shared/testing/asserts";
import { detectLevel } from "./level.ts";

Deno.test("detectLevel finds upper-case level words and level fields", () => {
  assertEquals(detectLevel("2024-01-01 12:00:00 ERROR db down", "info"), "error");
  assertEquals(detectLevel("[WARN] disk 91%", "info"), "warn");
  assertEquals(detectLevel('{"level":"debug","msg":"x"}', "info"), "debug");
  assertEquals(detectLevel("ts=1 level=fatal msg=bye", "info"), "fatal");
  assertEquals(detectLevel("CRITICAL: core", "info"), "fatal");
});

Deno.test("detectLevel keeps the fallback for prose", () => {
  assertEquals(detectLevel("no error found", "info"), "info");
  assertEquals(detectLevel("", "warn"), "warn");
});
