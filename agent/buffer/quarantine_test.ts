import { DuckDBInstance } from "@duckdb/node-api";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { insertQuarantined, QUARANTINE_TABLE_SQL, recordJson } from "./quarantine.ts";

Deno.test("insertQuarantined stores rows as JSON and keeps the newest maxRows", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    await conn.run(QUARANTINE_TABLE_SQL);
    await conn.run(QUARANTINE_TABLE_SQL); // idempotent
    const row = (v: number) => ({ ts: 5n, sensor: "t", metric: "m", value: v });
    await insertQuarantined(conn, {
      input: "http#0",
      stream: "readings",
      reason: "out_of_range",
      rows: [row(1), row(2)],
      at: 10n,
    }, 3);
    await insertQuarantined(conn, {
      input: "http#0",
      stream: "readings",
      reason: "out_of_range",
      rows: [row(3), row(4)],
      at: 20n,
    }, 3);
    const result = await conn.runAndReadAll(
      "SELECT input_id, reason, quarantined_at, record FROM quarantine ORDER BY record",
    );
    assertEquals(result.getRows(), [
      ["http#0", "out_of_range", 10n, recordJson(row(2))],
      ["http#0", "out_of_range", 20n, recordJson(row(3))],
      ["http#0", "out_of_range", 20n, recordJson(row(4))],
    ]);
    assertEquals(recordJson(row(1)), '{"ts":"5","sensor":"t","metric":"m","value":1}');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});
