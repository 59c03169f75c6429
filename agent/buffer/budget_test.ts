import { RetryableError } from "@tributary/shared/errors";
import type { Kind, LogLine, Reading, Trade } from "@tributary/shared/records";
import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { AgentBuffer } from "./buffer.ts";
import {
  BudgetFullError,
  type BufferBudget,
  DEFAULT_PRIORITIES,
  evictionOrder,
  measureRows,
} from "./budget.ts";
import { approxRowBytesSql } from "./schema.ts";
import { indices } from "./testdata/rows.ts";

function logs(from: number, count: number, recvTs = 1_000n): LogLine[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: recvTs,
    recv_ts: recvTs,
    source: "app",
    level: "info",
    message: `log line ${from + i} `.padEnd(60, "x"),
    fields: "{}",
  }));
}

function readings(from: number, count: number, recvTs = 1_000n): Reading[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: recvTs,
    recv_ts: recvTs,
    sensor: `s-${from + i}`,
    metric: "temperature",
    value: i,
    unit: "degC",
    tags: "{}",
  }));
}

function trades(from: number, count: number): Trade[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: 1n,
    recv_ts: 1n,
    symbol: "MSFT",
    price: 400,
    size: 100,
    exchange: 12,
    conditions: [],
    trade_id: `t${from + i}`,
  }));
}

async function withBudget(
  budget: Partial<BufferBudget>,
  fn: (buffer: AgentBuffer, reopen: () => Promise<AgentBuffer>) => Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/buffer.duckdb`;
  let buffer = await AgentBuffer.open({ path, agent: "edge-1", budget });
  try {
    await fn(buffer, async () => {
      await buffer.close();
      buffer = await AgentBuffer.open({ path, agent: "edge-1", budget });
      return buffer;
    });
  } finally {
    await buffer.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Bytes of `rows` rows of `kind` as the budget counts them, measured on a scratch buffer. */
async function bytesOf<K extends Kind>(
  kind: K,
  rows: Parameters<AgentBuffer["append"]>[1],
): Promise<number> {
  const scratch = await AgentBuffer.open({ path: ":memory:", agent: "x" });
  try {
    await scratch.append(kind, rows as never);
    return scratch.usedBytes();
  } finally {
    await scratch.close();
  }
}

/** Seqs of `kind` still in the buffer (through `query`: readBatch would claim them). */
async function seqs(buffer: AgentBuffer, kind: Kind): Promise<bigint[]> {
  const result = await buffer.query(
    `SELECT seq::INTEGER FROM buffer_${kind} ORDER BY seq`,
    { maxRows: 1_000_000 },
  );
  return result.rows.map((r) => BigInt(r[0] as number));
}

Deno.test("evictionOrder puts the lowest priority class first", () => {
  assertEquals(evictionOrder(DEFAULT_PRIORITIES), [["logs"], ["readings"], ["trades", "quotes"]]);
  assertEquals(
    evictionOrder({ trades: 2, quotes: 1, readings: 0, logs: 0 }),
    [["trades"], ["quotes"], ["readings", "logs"]],
  );
});

Deno.test("AgentBuffer drop_oldest evicts the oldest unsent rows of the lowest class first", async () => {
  const logBytes = await bytesOf("logs", logs(0, 100));
  const readingBytes = await bytesOf("readings", readings(0, 100));
  const tradeBytes = await bytesOf("trades", trades(0, 100));
  await withBudget(
    { maxBytes: logBytes + readingBytes + tradeBytes, policy: "drop_oldest" },
    async (buffer) => {
      await buffer.append("logs", logs(0, 100));
      await buffer.append("readings", readings(0, 100));
      await buffer.append("trades", trades(0, 100));
      assertEquals(buffer.usedBytes(), logBytes + readingBytes + tradeBytes);
      // 50 more trades: just enough of the oldest logs make room (every log row weighs the same).
      const logRow = logBytes / 100;
      const need = await bytesOf("trades", trades(100, 50));
      await buffer.append("trades", trades(100, 50));
      let stats = await buffer.stats();
      const evicted = Math.ceil(need / logRow);
      assertEquals(stats.logs.dropped, { budget_evicted: evicted });
      assertEquals(stats.readings.dropped, {});
      assertEquals(stats.trades.backlog_rows, 150);
      assertEquals((await seqs(buffer, "logs"))[0], BigInt(evicted + 1));
      assert(buffer.usedBytes() <= logBytes + readingBytes + tradeBytes);
      // Far more trades: every log, then the oldest readings.
      await buffer.append("trades", trades(150, 150));
      stats = await buffer.stats();
      assertEquals(stats.logs.backlog_rows, 0);
      assertEquals(stats.logs.dropped, { budget_evicted: 100 });
      assert((stats.readings.dropped.budget_evicted ?? 0) > 0);
      assertEquals(stats.trades.dropped, {});
      const left = await seqs(buffer, "readings");
      assertEquals(
        left,
        Array.from({ length: left.length }, (_, i) => BigInt(101 - left.length + i)),
      );
      assert(buffer.usedBytes() <= logBytes + readingBytes + tradeBytes);
      assertEquals(stats.readings.backlog_rows + stats.readings.dropped.budget_evicted!, 100);
    },
  );
});

Deno.test("AgentBuffer drop_oldest never drops rows read for a batch or pending", async () => {
  const logBytes = await bytesOf("logs", logs(0, 100));
  await withBudget({ maxBytes: logBytes, policy: "drop_oldest" }, async (buffer, reopen) => {
    await buffer.append("logs", logs(0, 100));
    const batch = await buffer.readBatch("logs", 0n, 30);
    assertEquals(batch?.lastSeq, 30n);
    await buffer.markPending("logs", { firstSeq: 1n, lastSeq: 30n });
    await buffer.append("logs", logs(100, 20));
    // Rows 1..30 are in flight: 31..50 went instead.
    assertEquals((await seqs(buffer, "logs")).slice(0, 31), [
      ...Array.from({ length: 30 }, (_, i) => BigInt(i + 1)),
      51n,
    ]);
    // After a restart the pending range is still protected.
    const again = await reopen();
    await again.append("logs", logs(120, 20));
    const left = await seqs(again, "logs");
    assertEquals(left.slice(0, 31), [...Array.from({ length: 30 }, (_, i) => BigInt(i + 1)), 71n]);
    assertEquals((await again.stats()).logs.dropped, { budget_evicted: 40 });
    // When only in-flight rows are left, the write is kept and the budget overshoots.
    const huge = await bytesOf("logs", logs(0, 200));
    await again.append("logs", logs(140, 200));
    assert(again.usedBytes() >= huge - logBytes, "the new rows evict the old unsent ones");
    assertEquals((await seqs(again, "logs")).slice(0, 30).at(-1), 30n);
  });
});

Deno.test("AgentBuffer drop_newest refuses the lowest class and evicts newest lower-class rows", async () => {
  const logBytes = await bytesOf("logs", logs(0, 100));
  const readingBytes = await bytesOf("readings", readings(0, 50));
  await withBudget({ maxBytes: logBytes + readingBytes, policy: "drop_newest" }, async (buffer) => {
    await buffer.append("logs", logs(0, 100));
    await buffer.append("readings", readings(0, 50));
    // Full: a log write has no lower class to take from, so it is refused.
    const refused = await buffer.append("logs", logs(100, 10));
    assertEquals(refused, { firstSeq: 101n, lastSeq: 110n, refused: "budget_full" });
    // A reading write takes the newest unsent logs' room.
    const stored = await buffer.append("readings", readings(50, 10));
    assertEquals(stored, { firstSeq: 51n, lastSeq: 60n });
    const stats = await buffer.stats();
    assertEquals(stats.readings.backlog_rows, 60);
    assertEquals(stats.readings.dropped, {});
    const evicted = stats.logs.dropped.budget_evicted ?? 0;
    assert(evicted > 0);
    assertEquals(stats.logs.dropped.budget_full, 10);
    // The oldest logs stay; the newest went.
    const left = await seqs(buffer, "logs");
    assertEquals(left, Array.from({ length: 100 - evicted }, (_, i) => BigInt(i + 1)));
    assert(buffer.usedBytes() <= logBytes + readingBytes);
    // A reading write larger than every droppable lower-class row is refused too.
    const big = await buffer.append("readings", readings(60, 2000));
    assertEquals(big?.refused, "budget_full");
  });
});

Deno.test("AgentBuffer block waits for space, times out retryably and wakes at close", async () => {
  const logBytes = await bytesOf("logs", logs(0, 10));
  await withBudget(
    { maxBytes: logBytes, policy: "block", blockTimeoutMs: 2000 },
    async (buffer) => {
      await buffer.append("logs", logs(0, 10));
      let done = false;
      const waiting = buffer.append("logs", logs(10, 5)).then((r) => {
        done = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 100));
      assertEquals(done, false);
      await buffer.retire("logs", 1n, 5n);
      assertEquals(await waiting, { firstSeq: 11n, lastSeq: 15n });
      assertEquals((await buffer.stats()).logs.dropped, {});
      // Nothing frees space: a retryable error after blockTimeoutMs, nothing written.
      const started = performance.now();
      await assertRejects(() => buffer.append("logs", logs(15, 5)), BudgetFullError, "max_bytes");
      assert(performance.now() - started >= 1900);
      assertEquals(buffer.lastAssignedSeq("logs"), 15n);
      // close() wakes a waiting write at once.
      const blocked = buffer.append("logs", logs(15, 5));
      await new Promise((r) => setTimeout(r, 50));
      const closing = buffer.close();
      await assertRejects(() => blocked, RetryableError, "closed");
      await closing;
    },
  );
});

Deno.test("AgentBuffer block takes any write into an empty buffer", async () => {
  await withBudget({ maxBytes: 10, policy: "block", blockTimeoutMs: 100 }, async (buffer) => {
    assertEquals(await buffer.append("logs", logs(0, 3)), { firstSeq: 1n, lastSeq: 3n });
  });
});

Deno.test("AgentBuffer.dropExpired drops unsent rows older than max_age_s, counted", async () => {
  await withBudget({ maxAgeS: 60, expireIntervalMs: 3_600_000 }, async (buffer) => {
    const t0 = 1_000_000_000_000n;
    await buffer.append("logs", logs(0, 10, t0));
    await buffer.append("logs", logs(10, 10, t0 + 30_000_000_000n));
    await buffer.append("readings", readings(0, 5, t0));
    await buffer.readBatch("readings", 0n, 2); // seqs 1..2 are in flight
    assertEquals(await buffer.dropExpired(t0 + 59_000_000_000n), {});
    assertEquals(await buffer.dropExpired(t0 + 61_000_000_000n), { logs: 10, readings: 3 });
    const stats = await buffer.stats();
    assertEquals(stats.logs.dropped, { max_age: 10 });
    assertEquals(stats.readings.dropped, { max_age: 3 });
    assertEquals(await seqs(buffer, "readings"), [1n, 2n]);
    assertEquals((await seqs(buffer, "logs"))[0], 11n);
  });
});

Deno.test("AgentBuffer drop counts and byte totals survive a reopen and match a fresh scan", async () => {
  const logBytes = await bytesOf("logs", logs(0, 50));
  await withBudget({ maxBytes: logBytes, policy: "drop_oldest" }, async (buffer, reopen) => {
    await buffer.append("logs", logs(0, 50));
    await buffer.append("logs", logs(50, 20));
    await buffer.retire("logs", 21n, 30n);
    await buffer.retire("logs", 31n, 35n, { acknowledged: false, dropReason: "schema_mismatch" });
    const before = await buffer.stats();
    assertEquals(before.logs.dropped, { budget_evicted: 20, schema_mismatch: 5 });
    const bytes = buffer.usedBytes();
    const again = await reopen();
    const after = await again.stats();
    assertEquals(after.logs.dropped, before.logs.dropped);
    assertEquals(after.logs.backlog_bytes, before.logs.backlog_bytes);
    assertEquals(again.usedBytes(), bytes);
    const scan = await again.query(
      "SELECT count(*)::INTEGER AS n FROM buffer_logs",
    );
    assertEquals(scan.rows[0], [after.logs.backlog_rows]);
  });
});

Deno.test("measureRows counts rows and bytes of a seq range", async () => {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const { schemaStatements } = await import("./schema.ts");
  const { SegmentLayout } = await import("./segments.ts");
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    for (const sql of schemaStatements()) await conn.run(sql);
    await SegmentLayout.load(conn, conn);
    assertEquals(await measureRows(conn, "logs", "true"), { rows: 0, bytes: 0 });
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});

Deno.test("AgentBuffer stored backlog totals match a scan after appends, evictions, expiry and retires", async () => {
  const logBytes = await bytesOf("logs", logs(0, 50));
  await withBudget(
    { maxBytes: logBytes * 2, policy: "drop_oldest", maxAgeS: 60 },
    async (buffer, reopen) => {
      await buffer.append("logs", logs(0, 50, 1n));
      await buffer.append("readings", readings(0, 40));
      await buffer.append("trades", trades(0, 30));
      await buffer.append("logs", logs(50, 80)); // evicts the oldest logs
      await buffer.dropExpired(61_000_000_000n); // expires rows with recv_ts 1 and 1000
      await buffer.append("readings", readings(40, 10, 100_000_000_000n));
      await buffer.retire("trades", 1n, 10n);
      await buffer.retire("trades", 11n, 12n, { acknowledged: false, dropReason: "too_large" });
      const again = await reopen();
      const stored = await again.query(
        "SELECT stream, backlog_rows::INTEGER, backlog_bytes::INTEGER FROM streams ORDER BY stream",
      );
      const scanned = await again.query(
        (["logs", "quotes", "readings", "trades"] as const).map((k) =>
          `SELECT '${k}' AS stream, count(*)::INTEGER, ` +
          `coalesce(sum(${approxRowBytesSql(k)}), 0)::INTEGER FROM buffer_${k}`
        ).join(" UNION ALL ") + " ORDER BY stream",
      );
      assertEquals(stored.rows, scanned.rows);
      assert((await again.stats()).logs.dropped.budget_evicted! > 0, "nothing was evicted");
      assert((await again.stats()).logs.dropped.max_age! > 0, "nothing expired");
    },
  );
});

Deno.test("AgentBuffer measures once and stores the totals of a file from before they were stored", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/buffer.duckdb`;
  try {
    const first = await AgentBuffer.open({ path, agent: "edge-1" });
    await first.append("logs", logs(0, 25));
    const bytes = first.usedBytes();
    await first.close();
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    await conn.run("UPDATE streams SET backlog_rows = NULL, backlog_bytes = NULL");
    conn.closeSync();
    instance.closeSync();

    const reopened = await AgentBuffer.open({ path, agent: "edge-1" });
    try {
      assertEquals(reopened.usedBytes(), bytes);
      assertEquals((await reopened.stats()).logs.backlog_rows, 25);
      const stored = await reopened.query(
        "SELECT backlog_rows::INTEGER, backlog_bytes::INTEGER FROM streams WHERE stream = 'logs'",
      );
      assertEquals(stored.rows, [[25, bytes]]);
    } finally {
      await reopened.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an append counts the bytes of its rows as the SQL measure of the stored rows does, multi-byte text and lone surrogates included", async () => {
  // The append measures its rows in TypeScript (approxRowsBytes); the stored
  // total must stay what approxRowBytesSql finds in the table, which open,
  // eviction and `agent verify` use.
  const texts = [
    "",
    "plain",
    "é",
    "€ 5",
    "😀 and 😀",
    "lone \ud800 high",
    "lone \udc00 low",
    "end \ud83d",
  ];
  await withBudget({}, async (buffer) => {
    await buffer.append(
      "logs",
      texts.map((t, i) => ({ ...logs(i, 1)[0]!, message: t, source: t })),
    );
    await buffer.append(
      "readings",
      texts.map((t, i) => ({ ...readings(i, 1)[0]!, sensor: t, tags: `{"t":"${t}"}` })),
    );
    await buffer.append(
      "trades",
      texts.map((t, i) => ({ ...trades(i, 1)[0]!, trade_id: t, conditions: indices(0, i) })),
    );
    const stored = await buffer.query(
      "SELECT stream, backlog_bytes::INTEGER FROM streams WHERE stream <> 'quotes' ORDER BY stream",
    );
    const scanned = await buffer.query(
      (["logs", "readings", "trades"] as const).map((k) =>
        `SELECT '${k}' AS stream, coalesce(sum(${
          approxRowBytesSql(k)
        }), 0)::INTEGER FROM buffer_${k}`
      ).join(" UNION ALL ") + " ORDER BY stream",
    );
    assertEquals(stored.rows, scanned.rows);
  });
});
