import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { AgentBuffer } from "./buffer/mod.ts";
import { formatVerifyReport, verifyBufferFile } from "./verify.ts";
import { runOnFile } from "./buffer/testdata/duckdb_file.ts";
import { logLine as log, quote, reading, trade } from "./buffer/testdata/rows.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** A temp dir with a clean buffer file of 5 rows per stream; removed afterwards. */
async function withBufferFile(fn: (path: string, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/buffer.duckdb`;
    const buffer = await AgentBuffer.open({ path, agent: "edge-1" });
    try {
      await buffer.append("readings", range(5).map(reading));
      await buffer.append("logs", range(5).map(log));
      await buffer.append("trades", range(5).map(trade));
      await buffer.append("quotes", range(5).map(quote));
    } finally {
      await buffer.close();
    }
    await fn(path, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Copies `path` and runs `statements` on the copy (the deliberate corruption). */
async function corruptCopy(path: string, dir: string, statements: string[]): Promise<string> {
  const copy = `${dir}/copy-${crypto.randomUUID()}.duckdb`;
  await Deno.copyFile(path, copy);
  await runOnFile(copy, statements);
  return copy;
}

Deno.test("verifyBufferFile finds no problem in a clean buffer and changes nothing", async () => {
  await withBufferFile(async (path) => {
    const before = await Deno.readFile(path);
    const report = await verifyBufferFile(path);
    assertEquals(report.problems, []);
    assertEquals(report.tables.buffer_readings_1, 5);
    assertMatch(formatVerifyReport(report), /ok: .* no problems/);
    assertEquals(await Deno.readFile(path), before);
  });
});

Deno.test("verifyBufferFile names each deliberate corruption with its count", async () => {
  await withBufferFile(async (path, dir) => {
    const copy = await corruptCopy(path, dir, [
      "INSERT INTO buffer_readings_1 SELECT * FROM buffer_readings_1 WHERE seq = 1",
      `UPDATE buffer_logs_1 SET fields = '[1]' WHERE seq = 1`,
      `UPDATE buffer_logs_1 SET fields = 'not json' WHERE seq = 2`,
      "ALTER TABLE buffer_trades_1 ALTER COLUMN symbol DROP NOT NULL",
      "UPDATE buffer_trades_1 SET symbol = NULL WHERE seq = 3",
      "UPDATE streams SET next_seq = 4 WHERE stream = 'quotes'",
      "INSERT INTO pending_batches VALUES ('readings', 100, 50)",
      "INSERT INTO pending_batches VALUES ('logs', 1, 3), ('logs', 3, 4)",
      "INSERT INTO pending_batches VALUES ('metrics', 1, 1)",
    ]);
    const report = await verifyBufferFile(copy);
    const found = Object.fromEntries(
      report.problems.map((p) => [`${p.check} ${p.where}`, p.count]),
    );
    assertEquals(found, {
      "nullable_column buffer_trades_1.symbol": 1,
      "null_value buffer_trades_1.symbol": 1,
      "duplicate_seq buffer_readings": 1,
      "invalid_json buffer_logs.fields": 2,
      "seq_out_of_range buffer_quotes": 2,
      "pending_unknown_stream pending_batches": 1,
      "pending_inverted pending_batches": 1,
      "pending_beyond_next_seq pending_batches": 1,
      "pending_overlap pending_batches": 1,
      "pending_without_rows pending_batches": 1,
      // The row inserted, the texts changed and the NULL each make the stored totals wrong.
      "backlog_totals_mismatch streams.readings": 1,
      "backlog_totals_mismatch streams.logs": 1,
      "backlog_totals_mismatch streams.trades": 1,
    });
    const text = formatVerifyReport(report);
    assertMatch(text, /PROBLEM duplicate_seq buffer_readings: 1/);
    assertMatch(text, /problem\(s\) found/);
  });
});

Deno.test("verifyBufferFile reports a missing table and a wrong column type", async () => {
  await withBufferFile(async (path, dir) => {
    const copy = await corruptCopy(path, dir, [
      "DROP TABLE pending_batches",
      "ALTER TABLE buffer_quotes_1 ALTER COLUMN bid_size TYPE VARCHAR",
    ]);
    const report = await verifyBufferFile(copy);
    const checks = report.problems.map((p) => `${p.check} ${p.where}`);
    assert(checks.includes("missing_table pending_batches"), checks.join(", "));
    assert(checks.includes("wrong_type buffer_quotes_1.bid_size"), checks.join(", "));
  });
});

Deno.test("verifyBufferFile does not pass a file with damaged blocks", async () => {
  await withBufferFile(async (path, dir) => {
    const copy = `${dir}/damaged.duckdb`;
    const bytes = await Deno.readFile(path);
    // Garble everything after the file headers: block checksums must fail.
    for (let i = 3 * 4096 + 8; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    await Deno.writeFile(copy, bytes);
    let clean = false;
    try {
      clean = (await verifyBufferFile(copy)).problems.length === 0;
    } catch (error) {
      assertMatch((error as Error).message, /cannot open buffer/);
    }
    assertEquals(clean, false);
  });
});

Deno.test("verifyBufferFile reports a data block whose checksum fails", async () => {
  await withBufferFile(async (path, dir) => {
    const buffer = await AgentBuffer.open({ path, agent: "edge-1" });
    try {
      // Enough rows for data blocks of their own beyond the catalog's.
      await buffer.append("logs", Array.from({ length: 3000 }, (_, i) => log(i + 6)));
    } finally {
      await buffer.close();
    }
    const bytes = await Deno.readFile(path);
    for (let i = bytes.length - 200_000; i < bytes.length - 100_000; i++) {
      bytes[i] = (i * 7919) & 0xff;
    }
    const copy = `${dir}/damaged-block.duckdb`;
    await Deno.writeFile(copy, bytes);
    const report = await verifyBufferFile(copy);
    const text = formatVerifyReport(report);
    assertMatch(text, /PROBLEM unreadable\S* .*checksum/);
  });
});

Deno.test("verifyBufferFile refuses a missing file", async () => {
  let message = "";
  try {
    await verifyBufferFile("/nonexistent/buffer.duckdb");
  } catch (error) {
    message = (error as Error).message;
  }
  assertMatch(message, /cannot open buffer \/nonexistent\/buffer.duckdb/);
});

Deno.test("verifyBufferFile checks each segment's seqs, the views and the listed tables", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/buffer.duckdb`;
    // Segments of 10 seqs: readings 1-12, 13-24 and 25-36 in three tables.
    const buffer = await AgentBuffer.open({ path, agent: "edge-1", segmentRows: 10 });
    try {
      for (let i = 0; i < 3; i++) {
        await buffer.append("readings", range(12).map((n) => reading(i * 12 + n)));
      }
      await buffer.append("logs", range(5).map(log));
    } finally {
      await buffer.close();
    }
    assertEquals((await verifyBufferFile(path)).problems, []);
    const copy = await corruptCopy(path, dir, [
      // A row in the wrong segment, a view that misses segment 3, a segment table gone.
      "UPDATE buffer_readings_2 SET seq = 40 WHERE seq = 13",
      "CREATE OR REPLACE VIEW buffer_readings AS " +
      "SELECT * FROM buffer_readings_1 UNION ALL SELECT * FROM buffer_readings_2",
      "DROP TABLE buffer_logs_1",
    ]);
    const found = Object.fromEntries(
      (await verifyBufferFile(copy)).problems.map((p) => [`${p.check} ${p.where}`, p.count]),
    );
    assertEquals(found, {
      "missing_table buffer_logs_1": 1,
      "segment_seq_out_of_range buffer_readings_2": 1,
      "view_mismatch buffer_readings": 12,
      // Through the view: seq 40 is past next_seq, and segment 3's rows are not counted.
      "seq_out_of_range buffer_readings": 1,
      "backlog_totals_mismatch streams.readings": 1,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
