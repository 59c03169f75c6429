import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { KINDS } from "@tributary/shared/records";
import { HotStore } from "./hot_store.ts";
import { makeBatch, seqRange } from "../testing/batches.ts";

async function withStore(fn: (store: HotStore) => Promise<void>, path = ":memory:") {
  let tick = 1_800_000_000_000_000_000n;
  const store = await HotStore.open({ path, now: () => (tick += 1_000n) });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

async function sql(store: HotStore, text: string): Promise<unknown[][]> {
  const connection = await store.connect();
  try {
    return (await connection.runAndReadAll(text)).getRows();
  } finally {
    connection.closeSync();
  }
}

Deno.test("HotStore.ingest inserts every row of a new batch with its values", async () => {
  await withStore(async (store) => {
    const result = await store.ingest(makeBatch("trades", { seqs: seqRange(1n, 3n) }), 123);
    assertEquals(result, { outcome: "inserted", rowsInserted: 3, rowsDuplicate: 0 });
    const rows = await sql(
      store,
      `SELECT epoch_ns(ts), epoch_ns(recv_ts), agent, symbol, price, size, exchange, conditions,
              trade_id, epoch_ns(ingested_at) FROM trades ORDER BY ts`,
    );
    assertEquals(rows.length, 3);
    const first = rows[0]!;
    assertEquals(first.slice(0, 7), [
      1_700_000_000_000_001_000n,
      1_700_000_000_000_001_007n,
      "agent-1",
      "symbol-1",
      1.5,
      1.5,
      1,
    ]);
    assertEquals(String(first[7]), "[1, 2]");
    assertEquals(first[8], "trade_id-1");
    // One commit time for all rows of the batch, also recorded in ingested_batches.
    assertEquals(new Set(rows.map((r) => r[9])).size, 1);
    assertEquals(
      await sql(
        store,
        "SELECT agent, stream, first_seq, last_seq, row_count, bytes FROM ingested_batches",
      ),
      [["agent-1", "trades", 1n, 3n, 3n, 123n]],
    );
  });
});

Deno.test("HotStore.ingest stores every kind", async () => {
  await withStore(async (store) => {
    for (const kind of KINDS) {
      const result = await store.ingest(makeBatch(kind, { seqs: seqRange(10n, 14n) }), 10);
      assertEquals(result.rowsInserted, 5);
      assertEquals(await sql(store, `SELECT count(*) FROM ${kind}`), [[5n]]);
    }
  });
});

Deno.test("HotStore.ingest stores a batch seen before once and reports a duplicate", async () => {
  await withStore(async (store) => {
    const batch = makeBatch("readings", { seqs: seqRange(1n, 100n) });
    await store.ingest(batch, 1);
    const again = await store.ingest(batch, 1);
    assertEquals(again, { outcome: "duplicate", rowsInserted: 0, rowsDuplicate: 100 });
    // A sub-range of what was committed is a duplicate too.
    const inner = await store.ingest(makeBatch("readings", { seqs: seqRange(20n, 30n) }), 1);
    assertEquals(inner.outcome, "duplicate");
    assertEquals(await sql(store, "SELECT count(*) FROM readings"), [[100n]]);
    assertEquals(await sql(store, "SELECT count(*) FROM ingested_batches"), [[1n]]);
  });
});

Deno.test("HotStore.ingest inserts only the rows not seen before when ranges overlap", async () => {
  await withStore(async (store) => {
    await store.ingest(makeBatch("logs", { seqs: seqRange(1n, 10n) }), 1);
    await store.ingest(makeBatch("logs", { seqs: seqRange(21n, 30n) }), 1);
    const result = await store.ingest(makeBatch("logs", { seqs: seqRange(5n, 25n) }), 1);
    assertEquals(result, { outcome: "partial", rowsInserted: 10, rowsDuplicate: 11 });
    const rows = await sql(store, "SELECT message FROM logs ORDER BY ts");
    assertEquals(rows.map((r) => r[0]), seqRange(1n, 30n).map((s) => `message-${s}`));
  });
});

Deno.test("HotStore.ingest keeps agents and streams apart in dedup", async () => {
  await withStore(async (store) => {
    const seqs = seqRange(1n, 5n);
    await store.ingest(makeBatch("quotes", { seqs, agent: "a" }), 1);
    assertEquals(
      (await store.ingest(makeBatch("quotes", { seqs, agent: "b" }), 1)).outcome,
      "inserted",
    );
    assertEquals(
      (await store.ingest(makeBatch("trades", { seqs, agent: "a" }), 1)).outcome,
      "inserted",
    );
  });
});

Deno.test("HotStore.ingest records a batch whose rows were all dropped, with gaps", async () => {
  await withStore(async (store) => {
    const empty = makeBatch("readings", { seqs: [], firstSeq: 1n, lastSeq: 4n });
    assertEquals((await store.ingest(empty, 1)).outcome, "inserted");
    const gappy = makeBatch("readings", { seqs: [5n, 9n], firstSeq: 5n, lastSeq: 10n });
    assertEquals((await store.ingest(gappy, 1)).rowsInserted, 2);
    assertEquals((await store.ingest(gappy, 1)).outcome, "duplicate");
  });
});

Deno.test("HotStore.ingest refuses a malformed batch with a PermanentError naming the column", async () => {
  await withStore(async (store) => {
    const batch = makeBatch("readings", { seqs: seqRange(1n, 3n) });
    const missing = { ...batch, columns: { ...batch.columns } };
    delete missing.columns.metric;
    await assertRejects(() => store.ingest(missing, 1), PermanentError, "column metric is missing");
    const short = { ...batch, rowCount: 4 };
    await assertRejects(
      () => store.ingest(short, 1),
      PermanentError,
      "has 3 values, rowCount is 4",
    );
    const badJson = { ...batch, columns: { ...batch.columns, tags: ["{}", "{oops", "{}"] } };
    await assertRejects(
      () => store.ingest(badJson, 1),
      PermanentError,
      "tags row 1 is not valid JSON",
    );
    const badSeq = { ...batch, columns: { ...batch.columns, seq: BigInt64Array.of(1n, 3n, 2n) } };
    await assertRejects(() => store.ingest(badSeq, 1), PermanentError, "does not ascend");
    const outside = { ...batch, lastSeq: 2n };
    await assertRejects(() => store.ingest(outside, 1), PermanentError, "seq[2] = 3");
    assertEquals(await sql(store, "SELECT count(*) FROM readings"), [[0n]]);
  });
});

Deno.test("HotStore.ingest rolls back rows and throws RetryableError when the commit fails", async () => {
  await withStore(async (store) => {
    // Rows are appended before the batch range is recorded; make recording fail.
    const admin = await store.connect();
    try {
      await admin.run("ALTER TABLE ingested_batches RENAME TO ingested_batches_away");
      const batch = makeBatch("readings", { seqs: seqRange(1n, 3000n) });
      const error = await assertRejects(() => store.ingest(batch, 1), RetryableError);
      assertEquals(error.reason, "store_failed");
      assertEquals(await sql(store, "SELECT count(*) FROM readings"), [[0n]]);
      assertEquals(await sql(store, "SELECT count(*) FROM agent_streams"), [[0n]]);
      // Once the database is healthy again, the same batch goes in whole.
      await admin.run("ALTER TABLE ingested_batches_away RENAME TO ingested_batches");
      assertEquals((await store.ingest(batch, 1)).rowsInserted, 3000);
      assertEquals(await sql(store, "SELECT count(*) FROM readings"), [[3000n]]);
    } finally {
      admin.closeSync();
    }
  });
});

Deno.test("HotStore.quarantine keeps the reason, the size and the raw bytes cut to the limit", async () => {
  const store = await HotStore.open({ path: ":memory:", maxQuarantineRawBytes: 4 });
  try {
    const raw = new Uint8Array([1, 2, 3, 4, 5, 6]);
    await store.quarantine({
      source: "mqtt",
      topic: "t/x",
      reason: "bad_magic",
      detail: "no",
      raw,
    });
    const rows = await sql(
      store,
      "SELECT source, topic, reason, detail, size, octet_length(raw) FROM quarantine",
    );
    assertEquals(rows, [["mqtt", "t/x", "bad_magic", "no", 6n, 4n]]);
  } finally {
    await store.close();
  }
});

Deno.test("HotStore.agents sums rows and batches per agent and stream", async () => {
  await withStore(async (store) => {
    await store.ingest(makeBatch("readings", { seqs: seqRange(1n, 10n), agent: "b" }), 1);
    await store.ingest(makeBatch("readings", { seqs: seqRange(11n, 15n), agent: "b" }), 1);
    await store.ingest(makeBatch("readings", { seqs: seqRange(11n, 15n), agent: "b" }), 1);
    await store.ingest(makeBatch("logs", { seqs: seqRange(1n, 2n), agent: "a" }), 1);
    const agents = await store.agents();
    assertEquals(agents.map((a) => a.agent), ["a", "b"]);
    assertEquals(agents[1]!.streams, { readings: { rows: 15, batches: 2, last_seq: 15 } });
    assertMatchIso(agents[1]!.last_seen ?? "");
  });
});

Deno.test("HotStore keeps committed data across reopen of the same file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/hub.duckdb`;
  try {
    await withStore(async (store) => {
      await store.ingest(makeBatch("readings", { seqs: seqRange(1n, 5n) }), 1);
    }, path);
    await withStore(async (store) => {
      const again = await store.ingest(makeBatch("readings", { seqs: seqRange(1n, 5n) }), 1);
      assertEquals(again.outcome, "duplicate");
      assertEquals(await sql(store, "SELECT count(*) FROM readings"), [[5n]]);
    }, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HotStore.close is idempotent and later writes reject with RetryableError", async () => {
  const store = await HotStore.open({ path: ":memory:" });
  await store.close();
  await store.close();
  await assertRejects(
    () => store.ingest(makeBatch("readings", { seqs: [1n] }), 1),
    RetryableError,
    "closed",
  );
});

Deno.test("HotStore refuses user access to external files", async () => {
  await withStore(async (store) => {
    const connection = await store.connect();
    try {
      await assertRejects(
        () => connection.run("SELECT * FROM read_csv('/etc/hostname')"),
        Error,
        "file system operations are disabled",
      );
    } finally {
      connection.closeSync();
    }
  });
});

function assertMatchIso(text: string): void {
  assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/.test(text), `not ISO-8601 ns: ${text}`);
}
