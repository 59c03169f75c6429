import { assertEquals } from "@tributary/shared/testing/asserts";
import { type Frame, SyslogFrameDecoder } from "./framing.ts";

const enc = new TextEncoder();
const show = (frames: Frame[]) =>
  frames.map((f) =>
    f.kind === "message" ? new TextDecoder().decode(f.bytes) : `too_large:${f.bytes}`
  );

Deno.test("SyslogFrameDecoder reads octet-counted and newline-framed messages, mixed", () => {
  const d = new SyslogFrameDecoder(1024);
  assertEquals(show(d.push(enc.encode("11 <13>1 - - a<13>x\r\n7 <1>ab"))), [
    "<13>1 - - a",
    "<13>x",
  ]);
  assertEquals(d.midMessage, true);
  assertEquals(show(d.push(enc.encode("\n\n\n<14>y\n"))), ["<1>ab\n\n", "<14>y"]);
  assertEquals(d.midMessage, false);
});

Deno.test("SyslogFrameDecoder splits a message over many chunks", () => {
  const d = new SyslogFrameDecoder(1024);
  const frames: Frame[] = [];
  for (const byte of enc.encode("12 <13>hello 12<14>newline\n")) {
    frames.push(...d.push(new Uint8Array([byte])));
  }
  assertEquals(show(frames), ["<13>hello 12", "<14>newline"]);
});

Deno.test("SyslogFrameDecoder skips over-long messages in both framings without holding them", () => {
  const d = new SyslogFrameDecoder(8);
  assertEquals(show(d.push(enc.encode("20 <13>aaaaaaaaaaaaaaaa<13>ok\n"))), [
    "too_large:20",
    "<13>ok",
  ]);
  assertEquals(show(d.push(enc.encode("<13>bbbbbbbbbbbb"))), []);
  assertEquals(show(d.push(enc.encode("bb\n<1>x\n"))), ["too_large:18", "<1>x"]);
});

Deno.test("SyslogFrameDecoder takes digits without a space as a newline-framed message", () => {
  const d = new SyslogFrameDecoder(64);
  assertEquals(show(d.push(enc.encode("2024-05-01 text\n"))), ["2024-05-01 text"]);
  assertEquals(show(d.push(enc.encode("<13>tail"))), []);
  assertEquals(show(d.end()), ["<13>tail"]);
  assertEquals(show(d.push(enc.encode("9 <13>ab"))), []);
  assertEquals(show(d.end()), []);
});
