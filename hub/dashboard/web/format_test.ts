import { assertEquals } from "@tributary/shared/testing/asserts";
import {
  formatAgo,
  formatCell,
  formatClock,
  formatCount,
  formatDuration,
  formatPrice,
} from "./format.ts";

Deno.test("formatCount is compact for big numbers and a dash for non-numbers", () => {
  assertEquals(formatCount(1234.567), "1,234.57");
  assertEquals(formatCount(1_500_000), "1.5M");
  assertEquals(formatCount("12"), "12");
  assertEquals(formatCount(null), "—");
  assertEquals(formatCount("x"), "—");
});

Deno.test("formatPrice keeps 2 to 4 decimals", () => {
  assertEquals(formatPrice(10), "10.00");
  assertEquals(formatPrice(10.12345), "10.1235");
  assertEquals(formatPrice(null), "—");
});

Deno.test("formatDuration and formatAgo read like a person would say them", () => {
  assertEquals(formatDuration(42.9), "42s");
  assertEquals(formatDuration(185), "3m 5s");
  assertEquals(formatDuration(7260), "2h 1m");
  assertEquals(formatDuration(3 * 86_400 + 7200), "3d 2h");
  assertEquals(formatDuration(-1), "—");
  assertEquals(formatAgo("2026-01-01T00:00:00Z", Date.parse("2026-01-01T00:00:12Z")), "12s ago");
  assertEquals(formatAgo(null, 0), "never");
});

Deno.test("formatClock and formatCell", () => {
  assertEquals(formatClock("2026-01-01T10:11:12.345678Z"), "10:11:12.345");
  assertEquals(formatClock(0), "00:00:00.000");
  assertEquals(formatCell(null), "NULL");
  assertEquals(formatCell([1, 2]), "[1,2]");
  assertEquals(formatCell(3), "3");
});
