/**
 * Hostile and replayed messages published to the hub's topics by a client
 * that is not ours (`mosquitto_pub`) through a real Mosquitto: the hub stays
 * up, quarantines each bad message with its reason, drops replays, counts
 * both in /metrics, and the good rows arrive exactly once.
 */
import { join } from "node:path";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { encodeBatch } from "@tributary/shared/wire";
import { sampleBatch } from "../../shared/wire/sample_batch.ts";
import { resealMessage } from "../../shared/wire/envelope.ts";
import { batchTopic } from "@tributary/shared/topics";
import { createRandom } from "@tributary/shared/prng";
import { startMosquitto } from "../harness/mosquitto.ts";
import { startDenoProcess } from "../harness/process.ts";
import { waitFor } from "../harness/wait_for.ts";
import { hubMetrics, hubQuery, metricValue } from "../harness/hub_client.ts";

/** Publishes `payload` at QoS 1 with the Debian mosquitto_pub client. */
async function mosquittoPub(
  port: number,
  topic: string,
  payload: Uint8Array,
  dir: string,
): Promise<void> {
  const file = join(dir, `payload-${crypto.randomUUID()}.bin`);
  await Deno.writeFile(file, payload);
  const { code, stderr } = await new Deno.Command("mosquitto_pub", {
    args: ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-t", topic, "-f", file],
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(code, 0, `mosquitto_pub failed: ${new TextDecoder().decode(stderr)}`);
}

Deno.test("hub quarantines garbage, drops replays, counts both, and keeps the good rows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-bad-input-" });
  await using broker = await startMosquitto();
  const hubConfig = join(dir, "hub.toml");
  await Deno.writeTextFile(
    hubConfig,
    `[hub]\ndata_dir = ${JSON.stringify(join(dir, "hub"))}\n` +
      `[http]\nlisten = "127.0.0.1:0"\n[mqtt]\nurl = ${JSON.stringify(broker.url)}\n`,
  );
  const hub = await startDenoProcess({
    name: "hub",
    script: "hub/main.ts",
    args: ["run", "--config", hubConfig],
  });
  try {
    const hubUrl = String(hub.ready.http);
    const agent = "field-7";
    const good1 = encodeBatch(sampleBatch("readings", { agent, rows: 500, seed: 1, firstSeq: 1n }));
    const good2 = encodeBatch(sampleBatch("trades", { agent, rows: 300, seed: 2, firstSeq: 1n }));
    const good3 = encodeBatch(
      sampleBatch("readings", { agent, rows: 200, seed: 3, firstSeq: 501n }),
    );
    // Rows 401..800: 401..700 are stored by then (good1, good3), 701..800 are new.
    const overlapping = encodeBatch(
      sampleBatch("readings", { agent, rows: 400, seed: 5, firstSeq: 401n }),
    );

    const random = createRandom(99);
    const garbage = Uint8Array.from({ length: 4096 }, () => random.int(0, 255));
    const truncated = good1.subarray(0, Math.floor(good1.length / 2));
    const corrupted = good1.slice();
    corrupted[corrupted.length - 10]! ^= 0xff; // body byte: checksum no longer matches
    const unknownVersion = good1.slice();
    unknownVersion[4] = 9;
    const badJson = sampleBatch("readings", { agent, rows: 10, seed: 4, firstSeq: 10_000n });
    (badJson.columns.tags as string[])[3] = "{not json";

    const sends: [string, Uint8Array][] = [
      [batchTopic(agent, "readings"), garbage],
      [batchTopic(agent, "readings"), good1],
      [batchTopic(agent, "readings"), truncated],
      [batchTopic(agent, "readings"), good1], // replay
      [batchTopic(agent, "trades"), good2],
      [batchTopic(agent, "readings"), corrupted],
      [batchTopic(agent, "readings"), resealMessage(unknownVersion)],
      [batchTopic("someone-else", "readings"), good1], // envelope and topic disagree
      [batchTopic(agent, "readings"), encodeBatch(badJson)],
      ["tributary/v1/field-7/nonsense", good1],
      [batchTopic(agent, "readings"), good3],
      [batchTopic(agent, "trades"), good2], // replay
      [batchTopic(agent, "readings"), overlapping], // partial overlap
      [batchTopic(agent, "readings"), new Uint8Array(0)],
    ];
    for (const [topic, payload] of sends) await mosquittoPub(broker.port, topic, payload, dir);

    const expectedReasons: Record<string, number> = {
      bad_magic: 1,
      truncated: 2, // half a message, and an empty one
      checksum_mismatch: 1,
      unknown_version: 1,
      topic_mismatch: 1,
      schema_mismatch: 1, // invalid JSON in a JSON column
      bad_topic: 1,
    };
    const quarantineTotal = Object.values(expectedReasons).reduce((a, b) => a + b, 0);
    const handled = async () => ({
      quarantine:
        (await hubQuery(hubUrl, "SELECT reason, count(*) FROM quarantine GROUP BY ALL")).rows,
      batches:
        (await hubQuery(hubUrl, "SELECT stream, first_seq, last_seq FROM ingested_batches")).rows,
    });
    await waitFor(async () => {
      const [row] = (await hubQuery(hubUrl, "SELECT count(*) FROM quarantine")).rows;
      const [batches] = (await hubQuery(hubUrl, "SELECT count(*) FROM ingested_batches")).rows;
      return Number(row?.[0]) >= quarantineTotal && Number(batches?.[0]) >= 4;
    }, {
      timeoutMs: 30_000,
      intervalMs: 200,
      message: "all messages handled",
    }).catch(async (error) => {
      throw new Error(`${error.message}; have ${JSON.stringify(await handled())}`);
    });

    const health = await fetch(`${hubUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assertEquals([health.status, await health.json()], [200, { status: "ok" }]);

    const reasons =
      (await hubQuery(hubUrl, "SELECT reason, count(*) FROM quarantine GROUP BY reason")).rows;
    assertEquals(Object.fromEntries(reasons.map(([r, n]) => [r, Number(n)])), expectedReasons);
    const [raw] = (await hubQuery(
      hubUrl,
      "SELECT octet_length(raw) FROM quarantine WHERE reason = 'bad_magic'",
    )).rows;
    assertEquals(raw, [garbage.length], "the raw bytes are kept");

    // Good rows exactly once: 800 readings (1..800), 300 trades.
    const [counts] = (await hubQuery(
      hubUrl,
      "SELECT (SELECT count(*) FROM readings), (SELECT count(*) FROM trades)",
    )).rows;
    assertEquals(counts, [800, 300]);

    const page = await hubMetrics(hubUrl);
    for (const [reason, n] of Object.entries(expectedReasons)) {
      assertEquals(
        metricValue(page, `tributary_hub_quarantined_total{reason="${reason}"}`),
        n,
        reason,
      );
    }
    assertEquals(
      metricValue(page, `tributary_hub_batches_total{kind="readings",outcome="duplicate"}`),
      1,
    );
    assertEquals(
      metricValue(page, `tributary_hub_batches_total{kind="trades",outcome="duplicate"}`),
      1,
    );
    assertEquals(
      metricValue(page, `tributary_hub_batches_total{kind="readings",outcome="partial"}`),
      1,
    );
    assertEquals(
      metricValue(page, `tributary_hub_duplicate_rows_total{kind="readings"}`),
      500 + 300,
    );
    assertEquals(metricValue(page, `tributary_hub_rows_total{kind="readings"}`), 800);
  } finally {
    const exit = await hub.stop("SIGINT", 15_000);
    assertEquals(exit.code, 0, `hub exit; stderr tail:\n${hub.stderr().slice(-2000)}`);
    await Deno.remove(dir, { recursive: true });
  }
});
