import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ConfigError } from "@tributary/shared/errors";
import { defaultTierConfig, S3_SECRET_ENV, validateTierConfig } from "./config.ts";

const noEnv = () => undefined;

Deno.test("validateTierConfig gives the defaults for an empty table", () => {
  assertEquals(validateTierConfig(undefined, "tier", noEnv), defaultTierConfig());
});

Deno.test("validateTierConfig reads per-kind policies and S3 settings", () => {
  const config = validateTierConfig(
    {
      store: "s3",
      readings: { hot_retention_s: 3600, partition: "hour", cold_retention_days: 30 },
      trades: { cold_action: "archive" },
      s3: { endpoint: "http://127.0.0.1:9000", bucket: "cold", prefix: "hub-1/" },
    },
    "tier",
    (name) => name === S3_SECRET_ENV ? "from-env" : undefined,
  );
  assertEquals(config.kinds.readings, {
    hot_retention_s: 3600,
    cold_retention_days: 30,
    cold_action: "delete",
    partition: "hour",
  });
  assertEquals(config.kinds.trades.cold_action, "archive");
  assertEquals(config.s3.bucket, "cold");
  assertEquals(config.s3.secret_access_key, "from-env");
});

Deno.test("validateTierConfig names the field, the value and what is allowed", () => {
  const cases: [unknown, string][] = [
    [{ store: "ftp" }, "tier.store"],
    [{ store: "s3" }, "tier.s3.bucket"],
    [{ readings: { hot_retention_s: -1 } }, "tier.readings.hot_retention_s"],
    [{ logs: { partition: "minute" } }, "tier.logs.partition"],
    [{ quotes: { cold_action: "shred" } }, "tier.quotes.cold_action"],
    [{ s3: { prefix: "no-slash" } }, "tier.s3.prefix"],
    [{ s3: { endpoint: "ftp://x" } }, "tier.s3.endpoint"],
    [{ s3: { part_size_bytes: 1024 } }, "tier.s3.part_size_bytes"],
    [{ cache_max_bytes: 10 }, "tier.cache_max_bytes"],
    [{ readingz: {} }, "tier.readingz"],
  ];
  for (const [raw, field] of cases) {
    const error = assertThrows(() => validateTierConfig(raw, "tier", noEnv), ConfigError);
    assertEquals(error.message.includes(field), true, `${field}: ${error.message}`);
  }
});
