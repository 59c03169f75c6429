import { assertEquals } from "@tributary/shared/testing/asserts";
import { LineSplitter, type SplitItem } from "./lines.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const show = (items: SplitItem[]) =>
  items.map((i) =>
    i.kind === "line" ? [dec.decode(i.bytes), i.start, i.end] : [i.kind, i.start, i.end]
  );

Deno.test("LineSplitter splits across chunks and tracks file offsets", () => {
  const s = new LineSplitter(100, 1024);
  assertEquals(show(s.push(enc.encode("ab\ncd"))), [["ab", 100, 103]]);
  assertEquals(s.completeOffset, 103);
  assertEquals(s.hasPartial, true);
  assertEquals(show(s.push(enc.encode("e\r\n\nf"))), [["cde", 103, 108], ["", 108, 109]]);
  assertEquals(s.position, 110);
  assertEquals(show([s.flush()!]), [["f", 109, 110]]);
  assertEquals(s.flush(), undefined);
});

Deno.test("LineSplitter skips an over-long line up to its newline and reports it once", () => {
  const s = new LineSplitter(0, 4);
  assertEquals(show(s.push(enc.encode("ok\n123"))), [["ok", 0, 3]]);
  assertEquals(show(s.push(enc.encode("4567"))), []);
  assertEquals(s.pendingBytes, 7);
  assertEquals(show(s.push(enc.encode("89\nxy\n"))), [["too_large", 3, 13], ["xy", 13, 16]]);
});

Deno.test("LineSplitter reset forgets the partial line", () => {
  const s = new LineSplitter(0, 64);
  s.push(enc.encode("abc"));
  s.reset(0);
  assertEquals(show(s.push(enc.encode("z\n"))), [["z", 0, 2]]);
});
