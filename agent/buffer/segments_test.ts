import { DuckDBInstance } from "@duckdb/node-api";
import { KINDS } from "@tributary/shared/records";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { AgentBuffer, type BufferOptions } from "./buffer.ts";
import { type Segment, SegmentLayout, segmentTable } from "./segments.ts";
import { createBufferTableSql, schemaStatements } from "./schema.ts";
import { verifyBufferFile } from "../verify.ts";
import { indices, logLine, reading, trade } from "./testdata/rows.ts";
import { runOnFile } from "./testdata/duckdb_file.ts";

const readings = (from: number, count: number, recvTs?: bigint) =>
  indices(from, count).map((i) => ({ ...reading(i), recv_ts: recvTs ?? BigInt(i) }));
const logs = (from: number, count: number) => indices(from, count).map(logLine);
const trades = (count: number) => indices(0, count).map(trade);

/** A buffer file in a temp dir with segments of 10 seqs; reopen keeps the options. */
async function withSegments(
  fn: (buffer: AgentBuffer, reopen: () => Promise<AgentBuffer>, path: string) => Promise<void>,
  options: Partial<BufferOptions> = {},
) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/buffer.duckdb`;
  const open = () => AgentBuffer.open({ path, agent: "edge-1", segmentRows: 10, ...options });
  let buffer = await open();
  try {
    await fn(buffer, async () => {
      await buffer.close();
      buffer = await open();
      return buffer;
    }, path);
  } finally {
    await buffer.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Each listed segment of `readings` as [segment, first_seq, rows in its table]. */
async function readingSegments(buffer: AgentBuffer): Promise<[number, number, number][]> {
  const listed = (await buffer.query(
    "SELECT segment, first_seq::INTEGER FROM buffer_segments WHERE stream = 'readings' ORDER BY segment",
  )).rows as [number, number][];
  const out: [number, number, number][] = [];
  for (const [segment, firstSeq] of listed) {
    const [[n]] = (await buffer.query(
      `SELECT count(*)::INTEGER FROM ${segmentTable("readings", segment)}`,
    )).rows as [[number]];
    out.push([segment, firstSeq, n]);
  }
  return out;
}

async function viewSeqs(buffer: AgentBuffer): Promise<number[]> {
  const result = await buffer.query("SELECT seq::INTEGER FROM buffer_readings ORDER BY seq", {
    maxRows: 10_000,
  });
  return result.rows.map((r) => r[0] as number);
}

const seqsFrom = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

Deno.test("AgentBuffer starts a segment once the newest spans segmentRows, and reads across them in order", async () => {
  await withSegments(async (buffer) => {
    for (let i = 0; i < 5; i++) await buffer.append("readings", readings(i * 6, 6));
    // 30 seqs: an append goes whole into the newest; a new one starts at >= 10 seqs.
    assertEquals(await readingSegments(buffer), [[1, 1, 12], [2, 13, 12], [3, 25, 6]]);
    assertEquals(await viewSeqs(buffer), seqsFrom(1, 30));
    const batch = await buffer.readBatch("readings", 5n, 20);
    assertEquals([batch?.firstSeq, batch?.lastSeq, batch?.rowCount], [6n, 25n, 20]);
    assertEquals(Array.from(batch!.columns.value as Float64Array), seqsFrom(5, 24));
    const stats = await buffer.stats();
    assertEquals(stats.readings.backlog_rows, 30);
  });
});

Deno.test("AgentBuffer drops a segment once all its rows are retired, in any order, never the newest", async () => {
  await withSegments(async (buffer) => {
    for (let i = 0; i < 3; i++) await buffer.append("readings", readings(i * 12, 12));
    assertEquals(await readingSegments(buffer), [[1, 1, 12], [2, 13, 12], [3, 25, 12]]);
    await buffer.retire("readings", 13n, 20n);
    await buffer.retire("readings", 1n, 12n); // segment 1 empties first
    assertEquals(await readingSegments(buffer), [[2, 13, 4], [3, 25, 12]]);
    await buffer.retire("readings", 21n, 30n); // empties 2 and crosses into 3
    assertEquals(await readingSegments(buffer), [[3, 25, 6]]);
    await buffer.retire("readings", 31n, 36n);
    assertEquals(await readingSegments(buffer), [[3, 25, 0]]);
    // A cursor below the oldest segment reads on from it; the next append rolls over.
    await buffer.append("readings", readings(36, 2));
    assertEquals(await readingSegments(buffer), [[4, 37, 2]]);
    const batch = await buffer.readBatch("readings", 0n, 100);
    assertEquals([batch?.firstSeq, batch?.lastSeq], [37n, 38n]);
    const stats = await buffer.stats();
    assertEquals([stats.readings.backlog_rows, stats.readings.acked_rows], [2, 36]);
    assertEquals(stats.readings.oldest_unsent_age_s > 0, true);
    const tables = (await buffer.query(
      "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'buffer_readings%' ORDER BY 1",
    )).rows.map((r) => r[0]);
    assertEquals(tables, ["buffer_readings", "buffer_readings_4"]);
  });
});

Deno.test("AgentBuffer keeps segments, counts and seqs across a reopen, and drops one left empty", async () => {
  await withSegments(async (buffer, reopen, path) => {
    for (let i = 0; i < 3; i++) await buffer.append("readings", readings(i * 12, 12));
    await buffer.retire("readings", 1n, 5n);
    buffer = await reopen();
    assertEquals(await readingSegments(buffer), [[1, 1, 7], [2, 13, 12], [3, 25, 12]]);
    assertEquals((await buffer.stats()).readings.backlog_rows, 31);
    await buffer.retire("readings", 6n, 12n);
    assertEquals(await readingSegments(buffer), [[2, 13, 12], [3, 25, 12]]);
    // As if the agent died between a retire's COMMIT and the drop that follows it.
    await buffer.close();
    await runOnFile(path, ["DELETE FROM buffer_readings_2"]);
    buffer = await reopen();
    assertEquals(await readingSegments(buffer), [[3, 25, 12]]);
    assertEquals(await viewSeqs(buffer), seqsFrom(25, 36));
  });
});

Deno.test("AgentBuffer budget eviction and expiry delete across segments, counted exactly", async () => {
  const bytes = async (fill: (b: AgentBuffer) => Promise<unknown>) => {
    const scratch = await AgentBuffer.open({ path: ":memory:", agent: "x" });
    try {
      await fill(scratch);
      return scratch.usedBytes();
    } finally {
      await scratch.close();
    }
  };
  const all = await bytes((b) => b.append("readings", readings(0, 36, 5n)));
  const oldest14 = await bytes((b) => b.append("readings", readings(0, 14, 5n)));
  const tradeBytes = await bytes((b) => b.append("trades", trades(12)));
  // The trades overflow by exactly the 14 oldest readings (the lower class goes first).
  const budget = { maxBytes: all - oldest14 + tradeBytes, maxAgeS: 1, expireIntervalMs: 3_600_000 };
  await withSegments(async (buffer) => {
    for (let i = 0; i < 3; i++) await buffer.append("readings", readings(i * 12, 12, 5n));
    await buffer.append("trades", trades(12));
    const stats = await buffer.stats();
    assertEquals(stats.readings.dropped, { budget_evicted: 14 });
    assertEquals(stats.readings.backlog_rows, 22);
    assertEquals(await readingSegments(buffer), [[2, 13, 10], [3, 25, 12]]);
    assertEquals(await viewSeqs(buffer), seqsFrom(15, 36));
    // max_age: every reading is older than the cutoff.
    assertEquals((await buffer.dropExpired(10n ** 18n)).readings, 22);
    assertEquals(await readingSegments(buffer), [[3, 25, 0]]);
  }, { budget });
});

Deno.test("AgentBuffer drop_newest takes a refused write back out of the newest segment only", async () => {
  await withSegments(async (buffer) => {
    await buffer.append("readings", readings(0, 10));
    await buffer.append("logs", logs(0, 12));
    // The logs' segment 1 is full, so this write starts segment 2, then is refused.
    const refused = await buffer.append("logs", logs(12, 50));
    assertEquals(refused?.refused, "budget_full");
    const stats = await buffer.stats();
    assertEquals([stats.logs.backlog_rows, stats.logs.dropped.budget_full], [12, 50]);
    assertEquals(stats.readings.backlog_rows, 10);
    const logSeqs = await buffer.query("SELECT seq::INTEGER FROM buffer_logs ORDER BY seq");
    assertEquals(logSeqs.rows.map((r) => r[0]), seqsFrom(1, 12));
    const listed = await buffer.query(
      "SELECT segment, first_seq::INTEGER FROM buffer_segments WHERE stream = 'logs' ORDER BY 1",
    );
    assertEquals(listed.rows, [[1, 1], [2, 13]]);
    assertEquals((await buffer.append("logs", logs(62, 1)))?.firstSeq, 63n);
  }, { budget: { maxBytes: 2_000, policy: "drop_newest" } });
});

Deno.test("AgentBuffer migrates a file from before segments: its table becomes segment 1", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/buffer.duckdb`;
  try {
    // The schema before segments: one table per stream, no buffer_segments.
    await runOnFile(path, [
      ...KINDS.map((kind) => createBufferTableSql(kind, `buffer_${kind}`)),
      ...schemaStatements().filter((sql) => !sql.includes("buffer_segments")),
      `INSERT INTO buffer_readings SELECT i, 1, 1, 's', 'temperature', i, 'degC', '{}' FROM range(1, 6) t(i)`,
      `UPDATE streams SET next_seq = 6, backlog_rows = NULL, backlog_bytes = NULL WHERE stream = 'readings'`,
    ]);
    const readOnly = await AgentBuffer.open({ path, agent: "edge-1", readOnly: true });
    try {
      assertEquals((await readOnly.stats()).readings.backlog_rows, 5);
      assertEquals((await readOnly.readBatch("readings", 0n, 10))?.rowCount, 5);
    } finally {
      await readOnly.close();
    }
    assertEquals((await verifyBufferFile(path)).problems, []);
    const buffer = await AgentBuffer.open({ path, agent: "edge-1", segmentRows: 10 });
    try {
      assertEquals(await readingSegments(buffer), [[1, 1, 5]]);
      assertEquals((await buffer.append("readings", readings(5, 6)))?.firstSeq, 6n);
      await buffer.append("readings", readings(11, 2));
      assertEquals(await readingSegments(buffer), [[1, 1, 11], [2, 12, 2]]);
      assertEquals(await viewSeqs(buffer), seqsFrom(1, 13));
    } finally {
      await buffer.close();
    }
    assertEquals((await verifyBufferFile(path)).problems, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SegmentLayout.spans and nextSpan split seq ranges at segment bounds", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    for (const sql of schemaStatements()) await conn.run(sql);
    const layout = await SegmentLayout.load(conn, conn);
    await layout.rollOver(conn, "logs", 11n, 10);
    await layout.rollOver(conn, "logs", 21n, 10);
    const parts = (from: bigint, to: bigint) =>
      layout.spans("logs", from, to).map((s: { segment: Segment; from: bigint; to: bigint }) => [
        s.segment.id,
        s.from,
        s.to,
      ]);
    assertEquals(parts(5n, 25n), [[1, 5n, 10n], [2, 11n, 20n], [3, 21n, 25n]]);
    assertEquals(parts(11n, 11n), [[2, 11n, 11n]]);
    assertEquals(parts(30n, 99n), [[3, 30n, 99n]]);
    const next = (after: bigint, size: bigint, limit: bigint) => {
      const span = layout.nextSpan("logs", after, size, limit);
      return span && [span.segment.id, span.from, span.to];
    };
    assertEquals(next(0n, 100n, 25n), [1, 1n, 10n]); // cut at the end of segment 1
    assertEquals(next(12n, 5n, 25n), [2, 13n, 17n]);
    assertEquals(next(25n, 5n, 25n), undefined);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});
