import { assertEquals } from "@tributary/shared/testing/asserts";
import { referencedKinds, tsBoundExprs } from "./time_bounds.ts";

Deno.test("referencedKinds finds whole-word kind names", () => {
  assertEquals(referencedKinds("SELECT * FROM trades JOIN quotes USING (symbol)"), [
    "trades",
    "quotes",
  ]);
  assertEquals(referencedKinds("SELECT * FROM sensor_minute"), []);
  assertEquals(referencedKinds("select 1 from READINGS"), ["readings"]);
});

Deno.test("tsBoundExprs takes literal and now()-relative bounds after WHERE/AND", () => {
  assertEquals(
    tsBoundExprs(
      "SELECT * FROM trades WHERE symbol = 'A' AND ts >= TIMESTAMP '2026-11-20' AND ts < '2026-11-21'::TIMESTAMP",
    ),
    { lower: "TIMESTAMP '2026-11-20'", upper: "'2026-11-21'::TIMESTAMP" },
  );
  assertEquals(
    tsBoundExprs("SELECT avg(value) FROM readings WHERE ts > now() - INTERVAL 1 HOUR"),
    { lower: "now() - INTERVAL 1 HOUR" },
  );
  assertEquals(
    tsBoundExprs("SELECT * FROM readings r WHERE r.ts BETWEEN '2026-01-01' AND '2026-01-02'"),
    { lower: "'2026-01-01'", upper: "'2026-01-02'" },
  );
});

Deno.test("tsBoundExprs gives no bound when it cannot be sure", () => {
  const unsure = [
    "SELECT * FROM readings WHERE ts > TIMESTAMP '2026-01-01' OR sensor = 'x'",
    "SELECT * FROM readings WHERE NOT ts < TIMESTAMP '2026-01-01'",
    "SELECT * FROM readings WHERE sensor IN (SELECT sensor FROM readings WHERE ts > '2026-01-01')",
    "SELECT * FROM readings a JOIN readings b USING (sensor) WHERE a.ts > '2026-01-01'",
    "SELECT * FROM trades t JOIN quotes q USING (symbol) WHERE t.ts > '2026-01-01'",
    "SELECT CASE WHEN ts > '2026-01-01' THEN 1 END FROM readings",
    "SELECT * FROM logs WHERE message = 'x AND ts > ''2030-01-01'''",
    "SELECT * FROM readings WHERE ts > '2026-01-01; DROP TABLE x'",
    "SELECT * FROM readings WHERE ts > (SELECT max(ts) FROM readings)",
  ];
  for (const sql of unsure) assertEquals(tsBoundExprs(sql), {}, sql);
});
