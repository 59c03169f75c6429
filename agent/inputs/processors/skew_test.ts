import { ConfigError } from "@tributary/shared/errors";
import { assert, assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { defaultSkewWindow, EARLIEST_TS_NS, readSkewWindow, skewCheck } from "./skew.ts";

const S = 1_000_000_000n;
const NOW = 1_800_000_000n * S;

Deno.test("skewCheck rejects beyond either edge and accepts inside", () => {
  const check = skewCheck({ max_future_s: 300, max_past_s: 3600 });
  assert(!check.skewed(NOW, NOW));
  assert(!check.skewed(NOW + 300n * S, NOW));
  assert(check.skewed(NOW + 301n * S, NOW));
  assert(!check.skewed(NOW - 3600n * S, NOW));
  assert(check.skewed(NOW - 3601n * S, NOW));
});

Deno.test("skewCheck treats 0 as no limit on that side", () => {
  const check = skewCheck({ max_future_s: 0, max_past_s: 0 });
  assert(!check.skewed(0n, NOW));
  assert(!check.skewed(NOW * 2n, NOW));
});

Deno.test("readSkewWindow fills defaults and names bad fields", () => {
  assertEquals(readSkewWindow({}, "inputs[0]"), defaultSkewWindow());
  assertEquals(readSkewWindow({ max_past_s: 0 }, "in").max_past_s, 0);
  assertThrows(
    () => readSkewWindow({ max_future_s: -1 }, "inputs[2]"),
    ConfigError,
    "inputs[2].max_future_s",
  );
});

Deno.test("skewCheck with earliestNs rejects older times even without a past limit", () => {
  const check = skewCheck({ max_future_s: 0, max_past_s: 0 }, { earliestNs: EARLIEST_TS_NS });
  assert(check.skewed(0n, NOW));
  assert(check.skewed(EARLIEST_TS_NS - 1n, NOW));
  assert(!check.skewed(EARLIEST_TS_NS, NOW));
  assertEquals(
    new Date(Number(EARLIEST_TS_NS / 1_000_000n)).toISOString(),
    "2000-01-01T00:00:00.000Z",
  );
});

Deno.test("readSkewWindow takes an input's own defaults", () => {
  const replay = { max_future_s: 300, max_past_s: 0 };
  assertEquals(readSkewWindow({}, "in", replay), replay);
  assertEquals(readSkewWindow({ max_past_s: 60 }, "in", replay), {
    max_future_s: 300,
    max_past_s: 60,
  });
});
