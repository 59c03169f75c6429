import { assertEquals, assertThrows } from "../testing/asserts.ts";
import { DEFAULT_DECODE_LIMITS, resolveDecodeLimits } from "./limits.ts";

Deno.test("resolveDecodeLimits fills in the defaults", () => {
  assertEquals(resolveDecodeLimits(), {
    maxMessageBytes: 64 * 1024 * 1024,
    maxRawBodyBytes: 256 * 1024 * 1024,
    maxRows: 1_000_000,
  });
  assertEquals(resolveDecodeLimits({ maxRows: 10 }), { ...DEFAULT_DECODE_LIMITS, maxRows: 10 });
});

Deno.test("resolveDecodeLimits rejects limits that are not positive integers", () => {
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assertThrows(() => resolveDecodeLimits({ maxRows: bad }), RangeError, "DecodeLimits.maxRows");
  }
  assertThrows(
    () => resolveDecodeLimits({ maxMessageBytes: "9" as unknown as number }),
    RangeError,
    "maxMessageBytes",
  );
});
