import { assertEquals } from "./testing/asserts.ts";
import { createLogger } from "./log.ts";

Deno.test("createLogger writes one JSON object per line with base and call fields", () => {
  const lines: string[] = [];
  const log = createLogger({ fields: { component: "test" }, sink: (l) => lines.push(l) });
  log.info("hello", { n: 5n });
  assertEquals(lines.length, 1);
  const record = JSON.parse(lines[0]!);
  assertEquals(record.level, "info");
  assertEquals(record.msg, "hello");
  assertEquals(record.component, "test");
  assertEquals(record.n, "5");
});

Deno.test("createLogger drops lines below the level", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "warn", sink: (l) => lines.push(l) }).child({ a: 1 });
  log.info("quiet");
  log.error("loud", { err: new Error("boom") });
  assertEquals(lines.length, 1);
  const record = JSON.parse(lines[0]!);
  assertEquals(record.a, 1);
  assertEquals(record.err, { name: "Error", message: "boom" });
});
