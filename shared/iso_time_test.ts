import { assertEquals } from "@tributary/shared/testing/asserts";
import { isoFromNs } from "./iso_time.ts";

Deno.test("isoFromNs keeps all nine fractional digits", () => {
  assertEquals(isoFromNs(1_700_000_000_123_456_789n), "2023-11-14T22:13:20.123456789Z");
  assertEquals(isoFromNs(0n), "1970-01-01T00:00:00.000000000Z");
  assertEquals(isoFromNs(5n), "1970-01-01T00:00:00.000000005Z");
});

Deno.test("isoFromNs floors times before the epoch", () => {
  assertEquals(isoFromNs(-1n), "1969-12-31T23:59:59.999999999Z");
  assertEquals(isoFromNs(-1_000_000_000n), "1969-12-31T23:59:59.000000000Z");
});
