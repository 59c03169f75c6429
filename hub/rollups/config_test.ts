import { assert, assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
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

Deno.test("validateRollupConfig gives every view a default retention", () => {
  const config = validateRollupConfig({ trade_intervals: ["1s", "5m", "4h"] });
  assertEquals(config.retention, {
    ohlcv_1s: 7 * 86_400,
    ohlcv_5m: 400 * 86_400,
    ohlcv_4h: 0,
    sensor_minute: 400 * 86_400,
    quote_minute: 400 * 86_400,
    log_minute: 400 * 86_400,
  });
  assertEquals(config.retention_interval_s, 600);
});

Deno.test("validateRollupConfig reads [rollups.retention] durations, days and 0", () => {
  const config = validateRollupConfig({
    retention: { ohlcv_1s: "36h", ohlcv_1m: 30, ohlcv_1h: "90m", log_minute: "0", quote_minute: 0 },
    retention_interval_s: 60,
  });
  assertEquals(config.retention.ohlcv_1s, 36 * 3600);
  assertEquals(config.retention.ohlcv_1m, 30 * 86_400);
  assertEquals(config.retention.ohlcv_1h, 90 * 60);
  assertEquals(config.retention.log_minute, 0);
  assertEquals(config.retention.quote_minute, 0);
  assertEquals(config.retention.sensor_minute, 400 * 86_400);
  assertEquals(config.retention_interval_s, 60);
});

Deno.test("validateRollupConfig names the field, value and what is allowed for a bad retention", () => {
  const cases: [unknown, string][] = [
    [{ ohlcv_1s: "7 days" }, "rollups.retention.ohlcv_1s"],
    [{ ohlcv_1s: "-1d" }, "rollups.retention.ohlcv_1s"],
    [{ ohlcv_1m: -3 }, "rollups.retention.ohlcv_1m"],
    [{ ohlcv_1m: 1.5 }, "rollups.retention.ohlcv_1m"],
    [{ ohlcv_1m: "1w" }, "rollups.retention.ohlcv_1m"],
    [{ ohlcv_1m: true }, "rollups.retention.ohlcv_1m"],
    [{ ohlcv_5m: "1d" }, "rollups.retention.ohlcv_5m"], // no such interval configured
    [{ readings: "1d" }, "rollups.retention.readings"],
  ];
  for (const [retention, field] of cases) {
    const error = assertThrows(() => validateRollupConfig({ retention }), ConfigError);
    assertEquals((error as ConfigError).field, field);
  }
  const error = assertThrows(
    () => validateRollupConfig({ retention: { ohlcv_1s: "7 days" } }),
    ConfigError,
  );
  assert(error.message.includes("7 days") && error.message.includes('"7d"'), error.message);
  assertThrows(() => validateRollupConfig({ retention: "7d" }), ConfigError);
  assertThrows(() => validateRollupConfig({ retention_interval_s: 0 }), ConfigError);
});
