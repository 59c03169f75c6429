import { assertEquals } from "@tributary/shared/testing/asserts";
import { DuckDBInstance } from "@duckdb/node-api";
import { schemaStatements } from "./schema.ts";
import { lastCommittedSeq, listAgents, recordAgentStream } from "./agents.ts";

Deno.test("recordAgentStream adds up rows and batches and keeps the highest seq and time", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    for (const sql of schemaStatements()) await connection.run(sql);
    assertEquals(await lastCommittedSeq(connection, "a", "readings"), undefined);
    const base = { agent: "a", stream: "readings" as const };
    await recordAgentStream(connection, {
      ...base,
      seenAt: 2_000_000_000n,
      rowsInserted: 5,
      batches: 1,
      lastSeq: 5n,
    });
    await recordAgentStream(connection, {
      ...base,
      seenAt: 1_000_000_000n,
      rowsInserted: 0,
      batches: 0,
      lastSeq: 3n,
    });
    await recordAgentStream(connection, {
      ...base,
      stream: "logs",
      seenAt: 3_000_000_001n,
      rowsInserted: 2,
      batches: 1,
      lastSeq: 9_007_199_254_740_993n,
    });
    assertEquals(await lastCommittedSeq(connection, "a", "readings"), 5n);
    assertEquals(await listAgents(connection), [{
      agent: "a",
      last_seen: "1970-01-01T00:00:03.000000001Z",
      streams: {
        logs: { rows: 2, batches: 1, last_seq: "9007199254740993" },
        readings: { rows: 5, batches: 1, last_seq: 5 },
      },
    }]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});
