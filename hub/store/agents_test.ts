import { assertEquals } from "@tributary/shared/testing/asserts";
import { DuckDBInstance } from "@duckdb/node-api";
import { schemaStatements } from "./schema.ts";
import {
  countStaleAgents,
  lastCommittedSeq,
  listAgents,
  recordAgentStream,
  recordHeartbeat,
} from "./agents.ts";

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
      last_heartbeat: null,
      version: null,
      uptime_s: null,
      backlog: {},
      dropped: {},
      stale: true,
    }]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});

Deno.test("listAgents shows the latest heartbeat and marks agents stale after staleAfterS", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    for (const sql of schemaStatements()) await connection.run(sql);
    await recordAgentStream(connection, {
      agent: "b",
      stream: "readings",
      seenAt: 1_000_000_000n,
      rowsInserted: 1,
      batches: 1,
      lastSeq: 1n,
    });
    const beat = (agent: string, rows: number) => ({
      agent,
      version: "0.1.0",
      sentAt: new Date(9_000),
      uptimeS: 7,
      streams: {
        readings: {
          backlog_rows: rows,
          backlog_bytes: rows * 10,
          oldest_unsent_age_s: 0.5,
          dropped: { max_bytes: 2 },
        },
      },
    });
    await recordHeartbeat(connection, beat("b", 1), 10_000_000_000n);
    await recordHeartbeat(connection, beat("b", 4), 12_000_000_000n); // replaces
    await recordHeartbeat(connection, beat("c", 0), 2_000_000_000n); // heartbeat only
    const agents = await listAgents(connection, { nowNs: 20_000_000_000n, staleAfterS: 15 });
    assertEquals(agents.map((a) => a.agent), ["b", "c"]);
    const [b, c] = agents;
    assertEquals(b, {
      agent: "b",
      last_seen: "1970-01-01T00:00:01.000000000Z",
      streams: { readings: { rows: 1, batches: 1, last_seq: 1 } },
      last_heartbeat: "1970-01-01T00:00:12.000000000Z",
      version: "0.1.0",
      uptime_s: 7,
      backlog: { readings: { rows: 4, bytes: 40, oldest_unsent_age_s: 0.5 } },
      dropped: { readings: { max_bytes: 2 } },
      stale: false,
    });
    assertEquals([c!.last_seen, c!.stale], [null, true]);
    assertEquals(
      await countStaleAgents(connection, { nowNs: 20_000_000_000n, staleAfterS: 15 }),
      1,
    );
    assertEquals(
      await countStaleAgents(connection, { nowNs: 40_000_000_000n, staleAfterS: 15 }),
      2,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});
