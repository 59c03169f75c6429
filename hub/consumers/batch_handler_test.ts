import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { RetryableError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import { encodeHeartbeat } from "@tributary/shared/heartbeat";
import { batchTopic, heartbeatTopic } from "@tributary/shared/topics";
import { encodeBatch } from "@tributary/shared/wire";
import { createHubMetrics } from "../metrics.ts";
import { HotStore } from "../store/hot_store.ts";
import { makeBatch, seqRange } from "../testing/batches.ts";
import { BatchHandler, type BatchSink } from "./batch_handler.ts";

const log = createLogger({ sink: () => {} });

async function withHandler(
  fn: (
    handler: BatchHandler,
    store: HotStore,
    metrics: ReturnType<typeof createHubMetrics>,
  ) => Promise<void>,
  wrap: (store: HotStore) => BatchSink = (store) => store,
) {
  const store = await HotStore.open({ path: ":memory:" });
  const metrics = createHubMetrics({ defaultMetrics: false });
  try {
    await fn(
      new BatchHandler({ store: wrap(store), metrics, log, limits: { maxRows: 100 } }),
      store,
      metrics,
    );
  } finally {
    await store.close();
  }
}

const good = encodeBatch(makeBatch("readings", { seqs: seqRange(1n, 10n), agent: "a1" }));

Deno.test("BatchHandler.handle ingests a batch and counts rows, bytes and outcome", async () => {
  await withHandler(async (handler, _store, metrics) => {
    const outcome = await handler.handle({
      source: "mqtt",
      topic: batchTopic("a1", "readings"),
      payload: good,
    });
    assertEquals(outcome, {
      status: "ingested",
      stream: "readings",
      result: { outcome: "inserted", rowsInserted: 10, rowsDuplicate: 0 },
      ack: {
        agent: "a1",
        ack: { stream: "readings", firstSeq: 1n, lastSeq: 10n, outcome: "inserted" },
      },
    });
    const page = await metrics.registry.metrics();
    assertEquals(page.includes(`tributary_hub_bytes_total{kind="readings"} ${good.length}`), true);
    assertEquals(page.includes("tributary_hub_ingest_seconds_count 1"), true);
  });
});

Deno.test("BatchHandler.handle ignores the reserved ack topics", async () => {
  await withHandler(async (handler, store) => {
    assertEquals(
      await handler.handle({ source: "mqtt", topic: "tributary/v1/a1/ack", payload: good }),
      {
        status: "ignored",
      },
    );
    const connection = await store.connect();
    try {
      assertEquals((await connection.runAndReadAll("SELECT count(*) FROM quarantine")).getRows(), [[
        0n,
      ]]);
    } finally {
      connection.closeSync();
    }
  });
});

Deno.test("BatchHandler.handle quarantines with the reason for each kind of bad message", async () => {
  await withHandler(async (handler, store, metrics) => {
    const tooMany = encodeBatch(makeBatch("readings", { seqs: seqRange(1n, 101n), agent: "a1" }));
    const badJson = makeBatch("readings", { seqs: [1n], agent: "a1" });
    badJson.columns.tags = ["{nope"];
    const cases: [string, Uint8Array, string][] = [
      ["elsewhere/x", good, "bad_topic"],
      [batchTopic("a1", "readings"), good.subarray(0, 10), "truncated"],
      [batchTopic("a1", "readings"), new Uint8Array(30), "bad_magic"],
      [batchTopic("a1", "readings"), tooMany, "oversized"],
      [batchTopic("a2", "readings"), good, "topic_mismatch"],
      [batchTopic("a1", "logs"), good, "topic_mismatch"],
      [batchTopic("a1", "readings"), encodeBatch(badJson), "schema_mismatch"],
    ];
    for (const [topic, payload, reason] of cases) {
      const outcome = await handler.handle({ source: "mqtt", topic, payload });
      assertEquals(outcome.status, "quarantined");
      if (outcome.status !== "quarantined") continue;
      assertEquals(outcome.reason, reason);
      // Only a sound envelope that matches the topic earns a "rejected" ack.
      assertEquals(outcome.ack?.ack.outcome, reason === "schema_mismatch" ? "rejected" : undefined);
      assertEquals(outcome.ack?.ack.reason, reason === "schema_mismatch" ? reason : undefined);
    }
    const connection = await store.connect();
    try {
      const rows =
        (await connection.runAndReadAll("SELECT reason FROM quarantine ORDER BY received_at"))
          .getRows();
      assertEquals(rows.map((r) => r[0]), cases.map((c) => c[2]));
    } finally {
      connection.closeSync();
    }
    assertEquals(
      (await metrics.registry.metrics()).includes(
        'tributary_hub_quarantined_total{reason="topic_mismatch"} 2',
      ),
      true,
    );
  });
});

Deno.test("BatchHandler.handle passes a RetryableError on when the store cannot quarantine", async () => {
  await withHandler(async (handler) => {
    await assertRejects(
      () => handler.handle({ source: "mqtt", topic: "elsewhere", payload: good }),
      RetryableError,
      "down",
    );
  }, (store) => ({
    ingest: (batch, bytes) => store.ingest(batch, bytes),
    quarantine: () => Promise.reject(new RetryableError("store_failed", "down")),
  }));
});

Deno.test("BatchHandler.handle quarantines an unexpected ingest failure as internal_error", async () => {
  await withHandler(async (handler) => {
    const outcome = await handler.handle({
      source: "mqtt",
      topic: batchTopic("a1", "readings"),
      payload: good,
    });
    assertEquals(outcome, {
      status: "quarantined",
      reason: "internal_error",
      ack: {
        agent: "a1",
        ack: {
          stream: "readings",
          firstSeq: 1n,
          lastSeq: 10n,
          outcome: "rejected",
          reason: "internal_error",
        },
      },
    });
  }, (store) => ({
    ingest: () => Promise.reject(new TypeError("bug")),
    quarantine: (entry) => store.quarantine(entry),
  }));
});

Deno.test("BatchHandler.handle stores a heartbeat; bad ones are counted, never quarantined", async () => {
  await withHandler(async (handler, store, metrics) => {
    const hb = encodeHeartbeat({
      agent: "a1",
      version: "0.1.0",
      sentAt: new Date(),
      uptimeS: 3,
      streams: {
        logs: { backlog_rows: 7, backlog_bytes: 70, oldest_unsent_age_s: 0.1, dropped: {} },
      },
    });
    const topic = heartbeatTopic("a1");
    assertEquals(await handler.handle({ source: "mqtt", topic, payload: hb }), {
      status: "heartbeat",
      result: "stored",
    });
    const [agent] = await store.agents({ staleAfterS: 15 });
    assertEquals([agent?.agent, agent?.version, agent?.stale], ["a1", "0.1.0", false]);
    assertEquals(agent?.backlog, { logs: { rows: 7, bytes: 70, oldest_unsent_age_s: 0.1 } });
    for (
      const [t, payload] of [
        [topic, new TextEncoder().encode("{nope")],
        [topic, new Uint8Array(100_000)],
        [heartbeatTopic("other"), hb], // agent differs from the topic's
      ] as const
    ) {
      assertEquals(await handler.handle({ source: "mqtt", topic: t, payload }), {
        status: "heartbeat",
        result: "invalid",
      });
    }
    const page = await metrics.registry.metrics();
    assertEquals(page.includes('tributary_hub_heartbeats_total{result="stored"} 1'), true);
    assertEquals(page.includes('tributary_hub_heartbeats_total{result="invalid"} 3'), true);
    const connection = await store.connect();
    try {
      const rows = (await connection.runAndReadAll("SELECT count(*) FROM quarantine")).getRows();
      assertEquals(rows, [[0n]]);
    } finally {
      connection.closeSync();
    }
  });
});

Deno.test("createHubMetrics tributary_hub_agents_stale reads the stale count at scrape time", async () => {
  let stale = 2;
  const metrics = createHubMetrics({
    defaultMetrics: false,
    staleAgents: () => Promise.resolve(stale),
  });
  assertEquals((await metrics.registry.metrics()).includes("tributary_hub_agents_stale 2"), true);
  stale = 0;
  assertEquals((await metrics.registry.metrics()).includes("tributary_hub_agents_stale 0"), true);
});
