import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { backoffDelay } from "./backoff.ts";

Deno.test("backoffDelay doubles the ceiling per attempt up to maxMs", () => {
  const top = { initialMs: 200, maxMs: 10_000, random: () => 0.999999 };
  assertEquals(backoffDelay(0, top), 199);
  assertEquals(backoffDelay(3, top), 1599);
  assertEquals(backoffDelay(10, top), 9999);
  assertEquals(backoffDelay(1000, top), 9999);
});

Deno.test("backoffDelay is jittered over [0, ceiling]", () => {
  assertEquals(backoffDelay(5, { initialMs: 200, maxMs: 10_000, random: () => 0 }), 0);
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(2, { initialMs: 100, maxMs: 10_000 });
    assert(d >= 0 && d < 400, `${d}`);
  }
});
