import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { type Kind, nowNs, type Reading, type Trade } from "@tributary/shared/records";
import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { AgentBuffer } from "./buffer.ts";

function readings(from: number, count: number): Reading[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: BigInt(1_000 + from + i),
    recv_ts: BigInt(2_000 + from + i),
    sensor: `s-${from + i}`,
    metric: "temperature",
    value: (from + i) / 4,
    unit: "degC",
    tags: `{"i":"${from + i}"}`,
  }));
}

function trade(i: number): Trade {
  return {
    ts: BigInt(i),
    recv_ts: BigInt(i),
    symbol: "MSFT",
    price: 400 + i / 100,
    size: 100,
    exchange: 12,
    conditions: i % 2 === 0 ? [] : [14, 37],
    trade_id: `t${i}`,
  };
}

async function withBuffer(fn: (buffer: AgentBuffer, path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/sub/buffer.duckdb`;
  const buffer = await AgentBuffer.open({ path, agent: "edge-1" });
  try {
    await fn(buffer, path);
  } finally {
    await buffer.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("AgentBuffer.append assigns contiguous seqs across calls", async () => {
  await withBuffer(async (buffer) => {
    assertEquals(await buffer.append("readings", readings(0, 3)), { firstSeq: 1n, lastSeq: 3n });
    assertEquals(await buffer.append("readings", readings(3, 2)), { firstSeq: 4n, lastSeq: 5n });
    assertEquals(await buffer.append("trades", [trade(1)]), { firstSeq: 1n, lastSeq: 1n });
    assertEquals(await buffer.append("readings", []), undefined);
    assertEquals(buffer.lastAssignedSeq("readings"), 5n);
  });
});

Deno.test("AgentBuffer.append spans several data chunks and refuses bad rows whole", async () => {
  await withBuffer(async (buffer) => {
    await buffer.append("readings", readings(0, 5000));
    const bad = [...readings(0, 2), { ...readings(2, 1)[0]!, value: NaN }];
    await assertRejects(() => buffer.append("readings", bad), PermanentError, "readings[2].value");
    const stats = await buffer.stats();
    assertEquals(stats.readings.backlog_rows, 5000);
    assertEquals(stats.readings.next_seq, 5001);
    const batch = await buffer.readBatch("readings", 4990n, 100);
    assertEquals(batch?.rowCount, 10);
    assertEquals(batch?.lastSeq, 5000n);
  });
});

Deno.test("AgentBuffer survives close and reopen with seqs and rows intact", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/buffer.duckdb`;
  try {
    const first = await AgentBuffer.open({ path, agent: "edge-1" });
    await first.append("readings", readings(0, 4));
    await first.retire("readings", 1n, 1n);
    await first.close();
    await first.close(); // idempotent
    const second = await AgentBuffer.open({ path, agent: "edge-1" });
    try {
      assertEquals(await second.append("readings", readings(4, 1)), { firstSeq: 5n, lastSeq: 5n });
      const batch = await second.readBatch("readings", 0n, 10);
      assertEquals(batch?.columns.seq, BigInt64Array.from([2n, 3n, 4n, 5n]));
      const stats = await second.stats();
      assertEquals(stats.readings.acked_rows, 1);
      assertEquals(stats.readings.backlog_rows, 4);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AgentBuffer.readBatch returns the oldest rows first, limited, with typed columns", async () => {
  await withBuffer(async (buffer) => {
    await buffer.append("readings", readings(0, 10));
    const batch = await buffer.readBatch("readings", 2n, 4);
    assert(batch !== undefined);
    assertEquals(batch.agent, "edge-1");
    assertEquals(batch.stream, "readings");
    assertEquals([batch.firstSeq, batch.lastSeq, batch.rowCount], [3n, 6n, 4]);
    assertEquals(batch.columns.seq, BigInt64Array.from([3n, 4n, 5n, 6n]));
    assertEquals(batch.columns.ts, BigInt64Array.from([1002n, 1003n, 1004n, 1005n]));
    assertEquals(batch.columns.value, Float64Array.from([0.5, 0.75, 1, 1.25]));
    assertEquals(batch.columns.sensor, ["s-2", "s-3", "s-4", "s-5"]);
    assertEquals(batch.columns.tags, ['{"i":"2"}', '{"i":"3"}', '{"i":"4"}', '{"i":"5"}']);
    assertEquals(await buffer.readBatch("readings", 10n, 4), undefined);
    assertEquals(await buffer.readBatch("logs", 0n, 4), undefined);
    const bounded = await buffer.readBatch("readings", 0n, 100, { throughSeq: 3n });
    assertEquals(bounded?.columns.seq, BigInt64Array.from([1n, 2n, 3n]));
  });
});

Deno.test("AgentBuffer.readBatch reads int32 and list columns of trades", async () => {
  await withBuffer(async (buffer) => {
    await buffer.append("trades", [trade(1), trade(2)]);
    const batch = await buffer.readBatch("trades", 0n, 10);
    assertEquals(batch?.columns.exchange, Int32Array.from([12, 12]));
    assertEquals(batch?.columns.conditions, [Int32Array.from([14, 37]), new Int32Array(0)]);
    assertEquals(batch?.columns.price, Float64Array.from([400.01, 400.02]));
  });
});

Deno.test("AgentBuffer.readBatch skips gaps left by out-of-order retires", async () => {
  await withBuffer(async (buffer) => {
    await buffer.append("readings", readings(0, 100));
    assertEquals(await buffer.retire("readings", 11n, 90n), 80);
    const batch = await buffer.readBatch("readings", 5n, 10);
    assertEquals(Array.from(batch!.columns.seq as BigInt64Array), [
      6n,
      7n,
      8n,
      9n,
      10n,
      91n,
      92n,
      93n,
      94n,
      95n,
    ]);
  });
});

Deno.test("AgentBuffer.retire deletes out of order, idempotently, and counts acked rows", async () => {
  await withBuffer(async (buffer) => {
    await buffer.append("readings", readings(0, 10));
    assertEquals(await buffer.retire("readings", 6n, 10n), 5);
    assertEquals(await buffer.retire("readings", 1n, 5n), 5);
    assertEquals(await buffer.retire("readings", 1n, 5n), 0);
    await buffer.append("readings", readings(10, 2));
    assertEquals(await buffer.retire("readings", 11n, 11n, { acknowledged: false }), 1);
    const stats = await buffer.stats();
    assertEquals(stats.readings.acked_rows, 10);
    assertEquals(stats.readings.backlog_rows, 1);
    assertEquals((await buffer.readBatch("readings", 0n, 10))?.firstSeq, 12n);
  });
});

Deno.test("AgentBuffer.retire with a drop reason counts the rows as dropped across a reopen", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/buffer.duckdb`;
  try {
    const first = await AgentBuffer.open({ path, agent: "edge-1" });
    await first.append("readings", readings(0, 6));
    await first.markPending("readings", { firstSeq: 1n, lastSeq: 3n });
    const opts = { acknowledged: false, dropReason: "schema_mismatch" };
    assertEquals(await first.retire("readings", 1n, 3n, opts), 3);
    assertEquals(await first.retire("readings", 1n, 3n, opts), 0); // idempotent: no double count
    assertEquals(await first.retire("readings", 4n, 4n, { ...opts, dropReason: "too_large" }), 1);
    const before = (await first.stats()).readings;
    assertEquals(before.dropped, { schema_mismatch: 3, too_large: 1 });
    assertEquals(before.acked_rows, 0);
    assertEquals(before.backlog_rows, 2);
    await first.close();
    const second = await AgentBuffer.open({ path, agent: "edge-1" });
    try {
      const after = (await second.stats()).readings;
      assertEquals(after.dropped, { schema_mismatch: 3, too_large: 1 });
      assertEquals(after.backlog_rows, 2);
      assertEquals(await second.pendingRanges("readings"), []);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AgentBuffer pending ranges are kept until retired and can be split", async () => {
  await withBuffer(async (buffer) => {
    await buffer.append("readings", readings(0, 10));
    await buffer.markPending("readings", { firstSeq: 1n, lastSeq: 4n });
    await buffer.markPending("readings", { firstSeq: 5n, lastSeq: 10n });
    await buffer.replacePending("readings", { firstSeq: 5n, lastSeq: 10n }, [
      { firstSeq: 5n, lastSeq: 7n },
      { firstSeq: 8n, lastSeq: 10n },
    ]);
    await buffer.retire("readings", 1n, 4n);
    assertEquals(await buffer.pendingRanges("readings"), [
      { firstSeq: 5n, lastSeq: 7n },
      { firstSeq: 8n, lastSeq: 10n },
    ]);
    assertEquals(await buffer.pendingRanges("trades"), []);
  });
});

Deno.test("AgentBuffer.stats reports backlog, bytes, age and next_seq per stream", async () => {
  await withBuffer(async (buffer) => {
    const empty = await buffer.stats();
    assertEquals(empty.logs, {
      backlog_rows: 0,
      backlog_bytes: 0,
      oldest_unsent_age_s: 0,
      next_seq: 1,
      acked_rows: 0,
      dropped: {},
    });
    await buffer.append("readings", readings(0, 2));
    const stats = await buffer.stats();
    assertEquals(stats.readings.backlog_rows, 2);
    assert(stats.readings.backlog_bytes > 2 * 40, `bytes ${stats.readings.backlog_bytes}`);
    // recv_ts of the test rows is ~1970, so the age is decades.
    assert(stats.readings.oldest_unsent_age_s > 1e9);
  });
});

Deno.test("AgentBuffer read-only mode reads stats and refuses writes", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/buffer.duckdb`;
  try {
    const writer = await AgentBuffer.open({ path, agent: "edge-1" });
    await writer.append("readings", readings(0, 3));
    await writer.close();
    const reader = await AgentBuffer.open({ path, agent: "edge-1", readOnly: true });
    try {
      assertEquals((await reader.stats()).readings.backlog_rows, 3);
      await assertRejects(() => reader.append("readings", readings(3, 1)), PermanentError);
      assertEquals((await reader.readBatch("readings", 0n, 10))?.rowCount, 3);
    } finally {
      await reader.close();
    }
    await assertRejects(
      () => AgentBuffer.open({ path: `${dir}/missing/b.duckdb`, agent: "a", readOnly: true }),
      RetryableError,
      "cannot open buffer",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AgentBuffer methods reject after close", async () => {
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "a" });
  await buffer.close();
  const kind: Kind = "readings";
  await assertRejects(() => buffer.append(kind, readings(0, 1)), RetryableError, "closed");
  await assertRejects(() => buffer.stats(), RetryableError, "closed");
});

Deno.test("DuckDB appender rows take part in BEGIN/ROLLBACK (the fact append relies on)", async () => {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    await conn.run("CREATE TABLE t (x INTEGER)");
    await conn.run("BEGIN TRANSACTION");
    const appender = await conn.createAppender("t");
    appender.appendInteger(1);
    appender.endRow();
    appender.flushSync();
    appender.closeSync();
    await conn.run("ROLLBACK");
    assertEquals((await conn.runAndReadAll("SELECT count(*) FROM t")).getRows(), [[0n]]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});

Deno.test("AgentBuffer.stats follows the oldest row as rows are retired, checkpointing on the way", async () => {
  const dir = await Deno.makeTempDir();
  const buffer = await AgentBuffer.open({
    path: `${dir}/buffer.duckdb`,
    agent: "edge-1",
    checkpointEveryRows: 3,
  });
  try {
    const now = BigInt(Date.now()) * 1_000_000n;
    const rows = readings(0, 6).map((r, i) => ({
      ...r,
      recv_ts: now - BigInt(60 - i) * 1_000_000_000n,
    }));
    await buffer.append("readings", rows);
    const age = async () => (await buffer.stats()).readings.oldest_unsent_age_s;
    assert(await age() >= 60);
    assertEquals(await buffer.retire("readings", 2n, 3n), 2);
    assert(await age() >= 60, "row 1 is still the oldest");
    assertEquals(await buffer.retire("readings", 1n, 1n), 1);
    const left = await age();
    assert(left >= 56 && left < 60, `oldest is row 4: ${left}`);
    assertEquals((await buffer.stats()).readings.backlog_rows, 3);
    await buffer.append("readings", [{ ...readings(6, 1)[0]!, recv_ts: now - 10_000_000_000n }]);
    assertEquals(await buffer.retire("readings", 4n, 6n), 3);
    const stats = await buffer.stats();
    assertEquals(stats.readings.backlog_rows, 1);
    assertEquals(stats.readings.acked_rows, 6);
    assert(stats.readings.oldest_unsent_age_s >= 10 && stats.readings.oldest_unsent_age_s < 56);
    assertEquals((await buffer.readBatch("readings", 0n, 10))?.firstSeq, 7n);
  } finally {
    await buffer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AgentBuffer caps DuckDB's memory at 16 MiB unless told otherwise", async () => {
  const setting = async (options: { memoryLimitMiB?: number }) => {
    const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1", ...options });
    try {
      const result = await buffer.query("SELECT current_setting('memory_limit') AS limit");
      return result.rows[0]?.[0];
    } finally {
      await buffer.close();
    }
  };
  assertEquals(await setting({}), "16.0 MiB");
  assertEquals(await setting({ memoryLimitMiB: 256 }), "256.0 MiB");
});

Deno.test("AgentBuffer turns DuckDB's vacuum off unless a setting says otherwise", async () => {
  const setting = async (duckdbSettings?: Record<string, string>) => {
    const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1", duckdbSettings });
    try {
      return (await buffer.query("SELECT current_setting('max_vacuum_tasks')")).rows[0]?.[0];
    } finally {
      await buffer.close();
    }
  };
  assertEquals(await setting(), 0);
  assertEquals(await setting({ max_vacuum_tasks: "100" }), 100);
});

Deno.test("AgentBuffer.stats finds the oldest row past gaps wider than its search window", async () => {
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  try {
    // 300k rows, the row of seq s received 4,000,000 - 10 (s - 1) seconds ago
    // (+ the test's own time, under 5 s); then gaps
    // of 199,999 and 99,999 seqs: wider than the first 65,536-seq window.
    const now = nowNs();
    for (let from = 0; from < 300_000; from += 50_000) {
      await buffer.append(
        "readings",
        readings(from, 50_000).map((r, i) => ({
          ...r,
          recv_ts: now - BigInt(4_000_000 - 10 * (from + i)) * 1_000_000_000n,
        })),
      );
    }
    const oldestSeq = async () => {
      const age = (await buffer.stats()).readings.oldest_unsent_age_s;
      return age === 0 ? 0 : 1 + Math.round((4_000_000 - age) / 10);
    };
    assertEquals(await oldestSeq(), 1);
    await buffer.retire("readings", 2n, 200_000n); // seq 1 stays the oldest
    assertEquals(await oldestSeq(), 1);
    await buffer.retire("readings", 1n, 1n);
    assertEquals(await oldestSeq(), 200_001);
    await buffer.retire("readings", 200_001n, 299_999n);
    assertEquals(await oldestSeq(), 300_000);
    await buffer.retire("readings", 300_000n, 300_000n);
    assertEquals(await oldestSeq(), 0);
  } finally {
    await buffer.close();
  }
});

Deno.test("AgentBuffer raises DuckDB's memory limit when a read runs out of it, so a drain never stalls", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/buffer.duckdb`;
  try {
    const writer = await AgentBuffer.open({ path, agent: "edge-1" });
    for (let from = 0; from < 200_000; from += 50_000) {
      await writer.append("readings", readings(from, 50_000));
    }
    await writer.close();
    // 4 MiB cannot hold a 200k-row read; each out-of-memory error doubles the limit.
    // (A 400k-row read sat at the edge of the 32 MiB cap: 31.7 used, failing 3 runs in 8.)
    const raises: string[] = [];
    const buffer = await AgentBuffer.open({
      path,
      agent: "edge-1",
      memoryLimitMiB: 4,
      onMemoryLimitRaised: ({ fromMiB, toMiB, error }) => {
        assert(/\(\S+ \S*B\/\S+ \S*B used\)/.test(error), error);
        raises.push(`${fromMiB}->${toMiB}`);
      },
    });
    try {
      let rows: number | undefined;
      for (let attempt = 1; rows === undefined; attempt++) {
        try {
          rows = (await buffer.readBatch("readings", 0n, 200_000))?.rowCount;
        } catch (error) {
          assert(error instanceof RetryableError, String(error));
          assert(attempt < 4, `still out of memory after ${attempt} tries: ${error.message}`);
        }
      }
      assertEquals(rows, 200_000);
      assert(raises.length >= 1, "the first read must have run out of memory");
      assertEquals(raises, ["4->8", "8->16", "16->32"].slice(0, raises.length));
      assertEquals(buffer.memoryLimitMiB, 4 * 2 ** raises.length);
      const setting = await buffer.query("SELECT current_setting('memory_limit')");
      assertEquals(setting.rows[0]?.[0], `${buffer.memoryLimitMiB}.0 MiB`);
    } finally {
      await buffer.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AgentBuffer reports once when DuckDB has invalidated the database", async () => {
  const dir = await Deno.makeTempDir();
  const fatal: string[] = [];
  // A checkpoint that DuckDB aborts as if the process died mid-write: the
  // database is invalidated, as after a real fatal error.
  const buffer = await AgentBuffer.open({
    path: `${dir}/buffer.duckdb`,
    agent: "edge-1",
    checkpointEveryRows: 1,
    duckdbSettings: { debug_checkpoint_abort: "before_header" },
    onFatal: (error) => fatal.push(error),
  });
  try {
    await buffer.append("readings", readings(0, 10));
    assertEquals(await buffer.retire("readings", 1n, 5n), 5); // its CHECKPOINT fails
    assertEquals(fatal, []);
    await assertRejects(() => buffer.append("readings", readings(10, 1)), RetryableError);
    await assertRejects(() => buffer.readBatch("readings", 0n, 10), RetryableError);
    assertEquals(fatal.length, 1);
    assert(/database has been invalidated/.test(fatal[0]!), fatal[0]);
  } finally {
    await buffer.close().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AgentBuffer.query never runs alongside a write: an append waits for the query", async () => {
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  try {
    const order: string[] = [];
    // A query slow enough (~1 s) that an unserialized append would finish first.
    const query = buffer.query("SELECT count(*) FROM range(400000000) t(i) WHERE i % 7 = 3")
      .then(() => order.push("query"));
    await new Promise((r) => setTimeout(r, 20)); // The query is under way.
    const append = buffer.append("readings", readings(0, 10)).then(() => order.push("append"));
    await Promise.all([query, append]);
    assertEquals(order, ["query", "append"]);
  } finally {
    await buffer.close();
  }
});

Deno.test("AgentBuffer.open raises DuckDB's memory limit when replaying the WAL runs out of it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/buffer.duckdb`;
    const fill = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./testdata/wal_fill.ts", import.meta.url).pathname, path],
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(fill.code, 0, new TextDecoder().decode(fill.stderr));
    assert((await Deno.stat(`${path}.wal`)).size > 1_000_000, "the rows are in the WAL");
    const raised: { fromMiB: number; toMiB: number }[] = [];
    const buffer = await AgentBuffer.open({
      path,
      agent: "edge-1",
      onMemoryLimitRaised: ({ fromMiB, toMiB }) => raised.push({ fromMiB, toMiB }),
    });
    try {
      // At 16 MiB the replay failed ("failed to pin block"), and the agent could not start.
      assert(raised.length > 0 && raised[0]!.fromMiB === 16, JSON.stringify(raised));
      assertEquals(buffer.memoryLimitMiB, raised.at(-1)!.toMiB);
      const stats = await buffer.stats();
      assertEquals(
        [stats.readings, stats.logs, stats.trades, stats.quotes].map((s) => s.backlog_rows),
        [15_000, 15_000, 15_000, 15_000],
      );
    } finally {
      await buffer.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
