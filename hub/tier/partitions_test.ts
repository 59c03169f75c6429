import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { dateHour, floorHour, HOUR_NS, objectKey, partitionPrefix } from "./partitions.ts";

const T = 1_794_963_600_000_000_000n; // 2026-11-18T01:00:00Z

Deno.test("floorHour rounds down to a whole UTC hour", () => {
  assertEquals(floorHour(T + 1n), T);
  assertEquals(floorHour(T + HOUR_NS - 1n), T);
  assertEquals(floorHour(T), T);
});

Deno.test("partitionPrefix and objectKey follow the Hive layout", () => {
  assertEquals(dateHour(T + 5n), { date: "2026-11-18", hour: "01" });
  assertEquals(partitionPrefix("readings", T, "date"), "kind=readings/date=2026-11-18/");
  assertEquals(partitionPrefix("trades", T, "hour"), "kind=trades/date=2026-11-18/hour=01/");
  assertMatch(
    objectKey("quotes", T, "date"),
    /^kind=quotes\/date=2026-11-18\/part-0100-[0-9a-f]{16}\.parquet$/,
  );
});
