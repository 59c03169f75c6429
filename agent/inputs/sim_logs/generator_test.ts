import { LOG_LEVELS } from "@tributary/shared/records";
import { assert, assertEquals, assertNotEquals } from "@tributary/shared/testing/asserts";
import { createLogSimulator, type SimLogLine, SOURCES } from "./generator.ts";

function take(n: number, seed = 3, sources = 5): SimLogLine[] {
  const sim = createLogSimulator({ seed, sources, hosts: 3 });
  return Array.from({ length: n }, () => sim.next());
}

Deno.test("createLogSimulator gives the same lines for the same seed and options", () => {
  assertEquals(take(1000), take(1000));
  assertNotEquals(take(100, 4), take(100));
});

Deno.test("createLogSimulator mixes sources and valid levels, mostly info", () => {
  const lines = take(20_000);
  const sources = new Set(lines.map((l) => l.source));
  assertEquals([...sources].sort(), SOURCES.slice(0, 5).map((s) => s.name).sort());
  const counts = new Map<string, number>();
  for (const l of lines) {
    assert((LOG_LEVELS as readonly string[]).includes(l.level), l.level);
    counts.set(l.level, (counts.get(l.level) ?? 0) + 1);
  }
  const info = counts.get("info") ?? 0;
  assert(info / lines.length > 0.6 && info / lines.length < 0.95, `info share ${info}`);
  assert((counts.get("warn") ?? 0) > 0 && (counts.get("error") ?? 0) > 0);
});

Deno.test("createLogSimulator writes non-empty messages and JSON object fields with a host", () => {
  for (const line of take(2000)) {
    assert(line.message.length > 0);
    const fields = JSON.parse(line.fields);
    assert(typeof fields === "object" && !Array.isArray(fields));
    assert(/^host-[1-3]$/.test(fields.host), fields.host);
  }
});

Deno.test("createLogSimulator gives nginx status codes that match the level", () => {
  for (
    const line of take(5000).filter((l) => l.source === "nginx" && l.message.includes("HTTP/1.1"))
  ) {
    const status = JSON.parse(line.fields).status as number;
    const expected = status >= 500 ? "error" : status >= 400 ? "warn" : "info";
    assertEquals(line.level, expected, line.message);
  }
});

Deno.test("createLogSimulator limits itself to the first N sources", () => {
  assertEquals(new Set(take(500, 3, 1).map((l) => l.source)), new Set(["nginx"]));
});
