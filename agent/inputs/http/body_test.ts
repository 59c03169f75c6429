import { assertEquals } from "@tributary/shared/testing/asserts";
import { skewCheck } from "../processors/skew.ts";
import { forEachLine, lineRanges, parseLineProtocolBody } from "./body.ts";

const NOW = 1_800_000_000_000_000_000n;
const options = {
  maxLineBytes: 64,
  precisionNs: 1n,
  recvTs: NOW,
  skew: skewCheck({ max_future_s: 300, max_past_s: 3600 }),
};
const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("parseLineProtocolBody keeps good lines around bad ones and numbers them", () => {
  const body = enc(
    [
      "# comment",
      "m v=1",
      "bad line",
      "",
      `m v=2 ${NOW + 10n ** 12n * 1000n}`,
      'm s="only text"',
      `m v=3,s="x" ${NOW}`,
      "m v=4 " + "x".repeat(80),
    ].join("\r\n"),
  );
  const result = parseLineProtocolBody(body, options);
  assertEquals(result.kept, [2, 7]);
  assertEquals(result.readings.map((r) => r.value), [1, 3]);
  assertEquals(result.stringFields, 1);
  assertEquals(result.lines, 6);
  assertEquals(result.rejected.map((r) => [r.line, r.reason]), [
    [3, "bad_line"],
    [5, "clock_skew"],
    [6, "no_numeric_field"],
    [8, "too_large"],
  ]);
});

Deno.test("parseLineProtocolBody finds the invalid UTF-8 and UTF-16 lines", () => {
  const good = enc("m v=1\n");
  const bad = new Uint8Array([0x6d, 0x20, 0x76, 0x3d, 0xff, 0x0a]);
  const utf16 = new Uint8Array([0x6d, 0, 0x20, 0, 0x76, 0, 0x3d, 0, 0x31, 0, 0x0a]);
  const body = new Uint8Array([...good, ...bad, ...good, ...utf16, ...good]);
  const result = parseLineProtocolBody(body, options);
  assertEquals(result.kept, [1, 3, 5]);
  assertEquals(result.rejected.map((r) => [r.line, r.reason]), [
    [2, "bad_encoding"],
    [4, "bad_encoding"],
  ]);
});

Deno.test("forEachLine calls a long invalid line too large, not bad encoding", () => {
  const seen: string[] = [];
  const body = new Uint8Array([...new Uint8Array(100).fill(0xff), 0x0a, 0x61]);
  forEachLine(body, 64, (line, n) => seen.push(`${n}:${line}`), (n, reason) => {
    seen.push(`${n}!${reason}`);
  });
  assertEquals(seen, ["1!too_large", "2:a"]);
});

Deno.test("lineRanges compresses runs", () => {
  assertEquals(lineRanges([1, 2, 3, 5, 7, 8]), "1-3,5,7-8");
  assertEquals(lineRanges([]), "");
});
