import { assertEquals } from "@tributary/shared/testing/asserts";
import { skewCheck } from "../processors/skew.ts";
import { jsonToReadings } from "./json_readings.ts";

const opts = { precisionNs: 1_000_000n, recvTs: 42n };

Deno.test("jsonToReadings reads the explicit shape", () => {
  const result = jsonToReadings(
    { sensor: "t1", metric: "temp", value: 21.5, unit: "degC", tags: { a: "b" }, ts: 1000 },
    {},
    opts,
  );
  assertEquals(result, {
    ok: true,
    ts: 1_000_000_000n,
    stringFields: 0,
    readings: [{
      ts: 1_000_000_000n,
      recv_ts: 42n,
      sensor: "t1",
      metric: "temp",
      value: 21.5,
      unit: "degC",
      tags: '{"a":"b"}',
    }],
  });
});

Deno.test("jsonToReadings reads fields maps and flat device objects with defaults", () => {
  const fields = jsonToReadings({ sensor: "s", fields: { a: 1, b: true, c: "x" } }, {}, opts);
  assertEquals(fields.ok && fields.readings.map((r) => [r.metric, r.value, r.ts]), [
    ["a", 1, 42n],
    ["b", 1, 42n],
  ]);
  assertEquals(fields.ok && fields.stringFields, 1);
  const flat = jsonToReadings(
    { temperature: 20, humidity: 40, ts: "2026-01-02T03:04:05.123456789Z" },
    { sensor: "dev-1", tags: { site: "x" } },
    opts,
  );
  assertEquals(flat.ok && flat.readings.map((r) => [r.sensor, r.metric, r.tags]), [
    ["dev-1", "temperature", '{"site":"x"}'],
    ["dev-1", "humidity", '{"site":"x"}'],
  ]);
  assertEquals(flat.ok && flat.ts, 1767323045123456789n);
  const value = jsonToReadings({ value: 3, ts: "1700000000000000000" }, {
    sensor: "a",
    metric: "m",
  }, {
    ...opts,
    precisionNs: 1n,
  });
  assertEquals(value.ok && value.readings[0]?.ts, 1700000000000000000n);
});

Deno.test("jsonToReadings says why a record has no readings", () => {
  const cases: [unknown, string][] = [
    [[1], "not a JSON object"],
    [{ value: 1 }, 'no "sensor"'],
    [{ sensor: "", value: 1 }, '"sensor" must be'],
    [{ sensor: "s", value: 1 }, 'no "metric"'],
    [{ sensor: "s", metric: "m", value: "1" }, '"value" must be'],
    [{ sensor: "s", metric: "m", value: 1, ts: 1.5 }, '"ts" must be'],
    [{ sensor: "s", metric: "m", value: 1, ts: "yesterday" }, '"ts" must be'],
    [{ sensor: "s", tags: { a: 1 }, v: 1 }, 'tag "a" must be'],
    [{ sensor: "s", fields: [] }, '"fields" must be'],
  ];
  for (const [value, message] of cases) {
    const result = jsonToReadings(value, {}, opts);
    assertEquals(result.ok, false, JSON.stringify(value));
    if (!result.ok) assertEquals(result.message.includes(message), true, result.message);
  }
  const none = jsonToReadings({ sensor: "s", status: "ok" }, {}, opts);
  assertEquals(!none.ok && none.reason, "no_numeric_field");
});

Deno.test("jsonToReadings applies the skew rule when given one", () => {
  const S = 1_000_000_000n;
  const now = 1_800_000_000n * S;
  const skew = skewCheck({ max_future_s: 300, max_past_s: 3600 });
  const at = (ts: bigint) =>
    jsonToReadings({ sensor: "s", metric: "m", value: 1, ts: `${ts}` }, {}, {
      precisionNs: 1n,
      recvTs: now,
      skew,
    });
  assertEquals(at(now + 301n * S).ok ? "kept" : "rejected", "rejected");
  assertEquals(!at(now - 3601n * S).ok && at(now - 3601n * S), {
    ok: false,
    reason: "clock_skew",
    message: `timestamp ${now - 3601n * S} ns is outside the accepted window`,
  });
  assertEquals(at(now - 60n * S).ok, true);
  // Beyond what the buffer's int64 ns columns hold: skew too, never an overflow.
  const overflow = at(2n ** 63n);
  assertEquals(overflow.ok ? "kept" : overflow.reason, "clock_skew");
  // Without a rule nothing is checked (callers that check themselves).
  assertEquals(jsonToReadings({ sensor: "s", metric: "m", value: 1, ts: "0" }, {}, opts).ok, true);
});
