import { assertEquals } from "@tributary/shared/testing/asserts";
import { skewCheck } from "../processors/skew.ts";
import { decodePayload, type PayloadOptions } from "./payload.ts";

const NOW = 1_800_000_000_000_000_000n;
const base: PayloadOptions = {
  format: "json",
  maxPayloadBytes: 256,
  jsonPrecisionNs: 1_000_000n,
  sensorTag: "",
  skew: skewCheck({ max_future_s: 300, max_past_s: 3600 }),
  recvTs: NOW,
};
const enc = (s: string) => new TextEncoder().encode(s);
const topic = { sensor: "t-7", metric: "temp", tags: { site: "p1" } };

Deno.test("decodePayload reads JSON arrays, counting bad and skewed elements apart", () => {
  const ms = Number(NOW / 1_000_000n);
  const r = decodePayload(
    enc(
      JSON.stringify([{ value: 1 }, { value: "x" }, { value: 2, ts: ms + 3_600_000 }, { hum: 3 }]),
    ),
    topic,
    base,
  );
  assertEquals(r.readings.map((x) => [x.sensor, x.metric, x.value, x.tags]), [
    ["t-7", "temp", 1, '{"site":"p1"}'],
    ["t-7", "hum", 3, '{"site":"p1"}'],
  ]);
  assertEquals(Object.fromEntries(r.rejected), { bad_record: 1, clock_skew: 1 });
});

Deno.test("decodePayload reads bare values and refuses what is not a number", () => {
  const value = { ...base, format: "value" as const };
  assertEquals(decodePayload(enc(" 21.5\n"), topic, value).readings[0]?.value, 21.5);
  assertEquals(decodePayload(enc("true"), topic, value).readings[0]?.value, 1);
  for (const bad of ["", "NaN", "1e999", "warm"]) {
    assertEquals(decodePayload(enc(bad), topic, value).rejected.get("bad_value"), 1, bad);
  }
  const short = decodePayload(enc("1"), { tags: {} }, value);
  assertEquals(short.rejected.get("unmapped_topic"), 1);
});

Deno.test("decodePayload refuses oversize, invalid UTF-8 and UTF-16 payloads", () => {
  assertEquals(decodePayload(new Uint8Array(300), topic, base).rejected.get("too_large"), 1);
  const invalid = new Uint8Array([0x7b, 0xff, 0x7d]);
  assertEquals(decodePayload(invalid, topic, base).rejected.get("bad_encoding"), 1);
  const utf16 = new Uint8Array([0x31, 0x00]);
  assertEquals(
    decodePayload(utf16, topic, { ...base, format: "value" }).rejected.get("bad_encoding"),
    1,
  );
});

Deno.test("decodePayload adds topic tags to line protocol and keeps good lines", () => {
  const r = decodePayload(enc(`m v=1\nbad\nm v=2 ${NOW}`), topic, {
    ...base,
    format: "line_protocol",
  });
  assertEquals(r.readings.map((x) => [x.sensor, x.value, x.tags]), [
    ["m", 1, '{"site":"p1"}'],
    ["m", 2, '{"site":"p1"}'],
  ]);
  assertEquals(Object.fromEntries(r.rejected), { bad_line: 1 });
});
