import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import {
  formatDuration,
  ParamError,
  parseDurationNs,
  parseIsoNs,
  readChoiceList,
  readChoiceParam,
  readDuration,
  readIntParam,
  readText,
  readTime,
} from "./params.ts";

const q = (text: string) => new URLSearchParams(text);

Deno.test("parseDurationNs and formatDuration read and print durations", () => {
  assertEquals(parseDurationNs("10s"), 10_000_000_000n);
  assertEquals(parseDurationNs("5m"), 300_000_000_000n);
  assertEquals(parseDurationNs("250ms"), 250_000_000n);
  assertEquals(parseDurationNs("1w"), undefined);
  assertEquals(parseDurationNs("-1s"), undefined);
  assertEquals(formatDuration(90_000_000_000n), "90s");
  assertEquals(formatDuration(3_600_000_000_000n), "1h");
});

Deno.test("parseIsoNs keeps nanoseconds and zones", () => {
  assertEquals(parseIsoNs("1970-01-01T00:00:01.000000002Z"), 1_000_000_002n);
  assertEquals(parseIsoNs("1970-01-01T01:00:00+01:00"), 0n);
  assertEquals(parseIsoNs("1970-01-02"), 86_400_000_000_000n);
  assertEquals(parseIsoNs("yesterday"), undefined);
  assertEquals(parseIsoNs("2024-13-45T00:00:00Z"), undefined);
});

Deno.test("readTime reads ISO, now and -duration, and names the parameter when bad", () => {
  const now = 10_000_000_000_000n;
  assertEquals(readTime(q(""), "from", 5n, now), 5n);
  assertEquals(readTime(q("from=now"), "from", 5n, now), now);
  assertEquals(readTime(q("from=-1s"), "from", 5n, now), now - 1_000_000_000n);
  const error = assertThrows(() => readTime(q("from=soon"), "from", 5n, now), ParamError);
  assertEquals([error.parameter, error.value], ["from", "soon"]);
  assertThrows(() => readTime(q("to=-xs"), "to", 5n, now), ParamError, 'parameter "to"');
});

Deno.test("readDuration enforces its bounds", () => {
  const bounds = { minNs: 1_000_000_000n, maxNs: 86_400_000_000_000n };
  assertEquals(readDuration(q("step=1m"), "step", 1n, bounds), 60_000_000_000n);
  assertThrows(() => readDuration(q("step=1ms"), "step", 1n, bounds), ParamError, "from 1s to 1d");
  assertThrows(() => readDuration(q("step=abc"), "step", 1n, bounds), ParamError, "10s");
});

Deno.test("readText, readChoiceParam, readChoiceList, readIntParam validate", () => {
  assertThrows(() => readText(q(""), "sensor", { required: true }), ParamError, '"sensor"');
  assertEquals(readText(q("sensor=a"), "sensor"), "a");
  assertThrows(() => readText(q(`s=${"x".repeat(300)}`), "s"), ParamError);
  assertEquals(readChoiceParam(q("agg=max"), "agg", ["avg", "max"], "avg"), "max");
  assertThrows(
    () => readChoiceParam(q("agg=median"), "agg", ["avg", "max"], "avg"),
    ParamError,
    "one of avg, max",
  );
  assertEquals(readChoiceList(q("level=warn,error"), "level", ["warn", "error", "info"]), [
    "warn",
    "error",
  ]);
  assertThrows(() => readChoiceList(q("level=warn,loud"), "level", ["warn"]), ParamError);
  assertEquals(readIntParam(q("limit=5"), "limit", 1, { min: 1, max: 10 }), 5);
  assertThrows(
    () => readIntParam(q("limit=50"), "limit", 1, { min: 1, max: 10 }),
    ParamError,
    "1 to 10",
  );
  assertThrows(() => readIntParam(q("limit=-1"), "limit", 1, { min: 1, max: 10 }), ParamError);
});
