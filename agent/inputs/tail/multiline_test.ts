import { assertEquals } from "@tributary/shared/testing/asserts";
import { MultilineJoiner } from "./multiline.ts";

Deno.test("MultilineJoiner joins continuation lines to the line that starts a record", () => {
  const j = new MultilineJoiner({ start: /^\d{4}-/, maxLines: 10, maxChars: 1000 });
  assertEquals(j.push("orphan", 0, 7).map((r) => r.text), []);
  assertEquals(j.push("2024-01-01 boom", 7, 23).map((r) => r.text), ["orphan"]);
  assertEquals(j.pendingStart, 7);
  assertEquals(j.push("  at f()", 23, 32), []);
  const closed = j.push("2024-01-02 next", 32, 48);
  assertEquals(closed, [{ text: "2024-01-01 boom\n  at f()", start: 7, end: 32, lines: 2 }]);
  assertEquals(j.flush(), { text: "2024-01-02 next", start: 32, end: 48, lines: 1 });
  assertEquals(j.pendingStart, undefined);
});

Deno.test("MultilineJoiner closes a record at maxLines", () => {
  const j = new MultilineJoiner({ start: /^S/, maxLines: 2, maxChars: 1000 });
  j.push("S1", 0, 3);
  j.push("c", 3, 5);
  assertEquals(j.push("c", 5, 7).map((r) => r.lines), [2]);
});

Deno.test("MultilineJoiner without a pattern makes every line a record", () => {
  const j = new MultilineJoiner({ start: undefined, maxLines: 2, maxChars: 1000 });
  assertEquals(j.push("a", 0, 2), [{ text: "a", start: 0, end: 2, lines: 1 }]);
  assertEquals(j.pendingStart, undefined);
});
