import { assertEquals } from "@tributary/shared/testing/asserts";
import { parseLeadingRfc3339 } from "./timestamp.ts";

Deno.test("parseLeadingRfc3339 reads zones and fractions to the nanosecond", () => {
  assertEquals(parseLeadingRfc3339("2024-05-01T00:00:00Z x"), {
    tsNs: 1714521600000000000n,
    length: 20,
  });
  assertEquals(
    parseLeadingRfc3339("2024-05-01T02:00:00.123456789+02:00")?.tsNs,
    1714521600123456789n,
  );
  assertEquals(parseLeadingRfc3339("2024-05-01 00:00:00.5-0130")?.tsNs, 1714527000500000000n);
});

Deno.test("parseLeadingRfc3339 refuses text without a valid leading timestamp", () => {
  assertEquals(parseLeadingRfc3339("GET / 2024-05-01T00:00:00Z"), undefined);
  assertEquals(parseLeadingRfc3339("2024-02-30T00:00:00Z"), undefined);
  assertEquals(parseLeadingRfc3339("2024-13-01T00:00:00Z"), undefined);
  assertEquals(parseLeadingRfc3339("2024-05-01T00:00:00"), undefined);
});
