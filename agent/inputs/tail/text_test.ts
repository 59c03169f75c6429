import { assertEquals } from "@tributary/shared/testing/asserts";
import { decodeText } from "./text.ts";

Deno.test("decodeText keeps UTF-8 text with tabs and ANSI colours", () => {
  const text = "h\u00e9llo\t\u001b[31mred\u001b[0m \u{1F600}";
  assertEquals(decodeText(new TextEncoder().encode(text)), { ok: true, text });
});

Deno.test("decodeText refuses invalid UTF-8, binary junk and UTF-16", () => {
  assertEquals(decodeText(new Uint8Array([0x63, 0x61, 0x66, 0xe9])), {
    ok: false,
    reason: "invalid_utf8",
  });
  assertEquals(decodeText(new Uint8Array([0x00, 0x01, 0xff, 0x10])), {
    ok: false,
    reason: "binary",
  });
  const utf16 = new Uint8Array([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00]);
  assertEquals(decodeText(utf16), { ok: false, reason: "binary" });
});

Deno.test("decodeText accepts newlines only when asked", () => {
  const bytes = new TextEncoder().encode("a\nb");
  assertEquals(decodeText(bytes), { ok: false, reason: "binary" });
  assertEquals(decodeText(bytes, { allowNewline: true }), { ok: true, text: "a\nb" });
});
