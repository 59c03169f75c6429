import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ConfigError } from "@tributary/shared/errors";
import { defaultRollupConfig, parseRollupInterval, validateRollupConfig } from "./config.ts";

Deno.test("validateRollupConfig gives the defaults for an absent section", () => {
  const config = validateRollupConfig(undefined);
  assertEquals(config, defaultRollupConfig());
  assertEquals(config.enabled, true);
  assertEquals(config.trade_intervals.map((i) => i.name), ["1s", "1m", "1h"]);
  assertEquals(config.trade_intervals.map((i) => i.widthNs), [
    1_000_000_000n,
    60_000_000_000n,
    3_600_000_000_000n,
  ]);
});

Deno.test("validateRollupConfig reads enabled and trade_intervals", () => {
  const config = validateRollupConfig({ enabled: false, trade_intervals: ["5m", "1d", "15s"] });
  assertEquals(config.enabled, false);
  assertEquals(config.trade_intervals, [
    { name: "5m", widthNs: 300_000_000_000n },
    { name: "1d", widthNs: 86_400_000_000_000n },
    { name: "15s", widthNs: 15_000_000_000n },
  ]);
});

Deno.test("parseRollupInterval refuses what does not divide a day or is not a duration", () => {
  for (const bad of ["7m", "2d", "0s", "1w", "1.5m", "m", "", " 1m", "1M", 60, null]) {
    assertThrows(() => parseRollupInterval(bad, "rollups.trade_intervals[0]"), ConfigError);
  }
  assertEquals(parseRollupInterval("90s", "f").widthNs, 90_000_000_000n);
});

Deno.test("validateRollupConfig names the field, the value and what is allowed", () => {
  assertThrows(
    () => validateRollupConfig({ trade_intervals: ["1m", "7m"] }),
    ConfigError,
    'rollups.trade_intervals[1]: got "7m", expected a duration like "1s"',
  );
  assertThrows(
    () => validateRollupConfig({ trade_intervals: ["1m", "60s"] }),
    ConfigError,
    "rollups.trade_intervals[1]",
  );
  assertThrows(() => validateRollupConfig({ trade_intervals: [] }), ConfigError, "1 to 16");
  assertThrows(() => validateRollupConfig({ trade_intervals: "1m" }), ConfigError);
  assertThrows(() => validateRollupConfig({ enabled: "yes" }), ConfigError, "rollups.enabled");
  assertThrows(() => validateRollupConfig({ intervals: ["1m"] }), ConfigError, "intervals");
});

Deno.test("parseHubConfig reads the [rollups] section", async () => {
  const { parseHubConfig } = await import("../config.ts");
  const config = parseHubConfig('[rollups]\ntrade_intervals = ["1m", "5m"]\nenabled = true');
  assertEquals(config.rollups.trade_intervals.map((i) => i.name), ["1m", "5m"]);
  assertEquals(parseHubConfig("").rollups, defaultRollupConfig());
  assertThrows(
    () => parseHubConfig('[rollups]\ntrade_intervals = ["1x"]'),
    ConfigError,
    "rollups.trade_intervals[0]",
  );
});
