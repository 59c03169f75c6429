/**
 * Fault scenario 6: duplicated, reordered, overlapping and late batches
 * published straight to the broker (as a confused or crashed-and-restarted
 * agent, or a broker redelivering, would) reach the hub; it stores each row
 * exactly once.
 *
 * Every batch is a slice of one seeded "master" batch per stream, so two
 * batches that overlap carry the same values for the same sequence numbers,
 * as a resending agent's would. Rows are compared with their event time
 * (deterministic in sample batches), so each stored row maps to one seq.
 */
import { Buffer } from "node:buffer";
import mqtt from "mqtt";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { type Batch, type Columns, type Kind, KINDS } from "@tributary/shared/records";
import { encodeBatch } from "@tributary/shared/wire";
import { batchTopic } from "@tributary/shared/topics";
import { createRandom } from "@tributary/shared/prng";
import { sampleBatch } from "../../shared/wire/sample_batch.ts";
import { startMosquitto } from "../harness/mosquitto.ts";
import { delay } from "../harness/_timeout.ts";
import { waitFor } from "../harness/wait_for.ts";
import { hubMetrics, metricValue, tableCounts } from "../harness/hub_client.ts";
import { canonicalRow, COMPARED_COLUMNS } from "../harness/expected_rows.ts";
import {
  type AccountedTable,
  accountRows,
  assertExactlyOnce,
  hubBatches,
  runScenario,
  writeHubConfig,
} from "./_scenario.ts";

const AGENT = "fault-replay";
const ROWS = 2_000; // per stream, seq 1..2000
const SHUFFLE_SEED = 6_006;
/** Held back from the first round, sent after a pause. */
const LATE: Range = [1401, 1600];
/** The first round, shuffled across streams: none of it covers LATE. */
const FIRST_ROUND: Range[] = [
  [1, 300],
  [301, 700],
  [701, 1000],
  [1001, 1400],
  [1601, 2000],
  [301, 700], // duplicate
  [1601, 2000], // duplicate
  [201, 500], // overlaps two batches
  [901, 1200], // overlaps two batches
  [1, 1000], // covers four batches
  [1301, 1400], // inside one batch
  [1, 300], // duplicate
];
/** After the pause: an overlap reaching into LATE, LATE itself, and stale duplicates. */
const LATE_ROUND: Range[] = [[1350, 1450], LATE, [1, 300], [1401, 1600], [1590, 2000]];

type Range = [first: number, last: number];

/** Rows `first..last` (seq numbers, 1-based) of `master` as their own batch. */
function slice(master: Batch, [first, last]: Range): Batch {
  const from = first - Number(master.firstSeq);
  const to = last - Number(master.firstSeq) + 1;
  const columns: Columns = {};
  for (const [name, values] of Object.entries(master.columns)) {
    columns[name] = values.slice(from, to) as Columns[string];
  }
  return {
    ...master,
    firstSeq: BigInt(first),
    lastSeq: BigInt(last),
    rowCount: to - from,
    columns,
  };
}

function plain(value: unknown): unknown {
  if (typeof value === "bigint") return String(value);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** A row as `[event time in ns, compared columns...]`, canonical. */
function canonical(kind: Kind, tsNs: unknown, row: Record<string, unknown>): string {
  return JSON.stringify([String(tsNs), JSON.parse(canonicalRow(kind, row))]);
}

function masterRows(kind: Kind, master: Batch): string[] {
  const ts = master.columns.ts as BigInt64Array;
  return Array.from({ length: master.rowCount }, (_, i) =>
    canonical(
      kind,
      ts[i],
      Object.fromEntries(
        COMPARED_COLUMNS[kind].map((c) => [c, plain((master.columns[c] as ArrayLike<unknown>)[i])]),
      ),
    ));
}

function shuffle<T>(items: T[], seed: number): T[] {
  const random = createRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Publishes each message at QoS 1, in order, waiting for each PUBACK. */
async function publishAll(url: string, messages: { topic: string; payload: Uint8Array }[]) {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
  try {
    for (const { topic, payload } of messages) {
      const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      await client.publishAsync(topic, bytes, { qos: 1 });
    }
  } finally {
    await client.endAsync();
    // MQTT.js closes its stores in a setTimeout(0) after the end: let it run.
    await delay(1);
  }
}

Deno.test("fault: duplicated, reordered, overlapping and late batches are stored exactly once", async () => {
  await using broker = await startMosquitto();
  await runScenario(
    "replay-reorder",
    { hub: (dir) => writeHubConfig(dir, broker.url) },
    async (run) => {
      const masters = Object.fromEntries(
        KINDS.map((kind, i) => [
          kind,
          sampleBatch(kind, { agent: AGENT, rows: ROWS, seed: 600 + i, firstSeq: 1n }),
        ]),
      ) as Record<Kind, Batch>;
      const message = (kind: Kind, range: Range) => ({
        topic: batchTopic(AGENT, kind),
        payload: encodeBatch(slice(masters[kind], range)),
        label: `${kind}[${range[0]},${range[1]}]`,
      });
      const firstRound = shuffle(
        KINDS.flatMap((kind) => FIRST_ROUND.map((range) => message(kind, range))),
        SHUFFLE_SEED,
      );
      const lateRound = KINDS.flatMap((kind) => LATE_ROUND.map((range) => message(kind, range)));

      const hubUrl = String((await run.startHub()).ready.http);
      const lateRows = LATE[1] - LATE[0] + 1;

      await publishAll(broker.url, firstRound);
      console.log(`  first round: ${firstRound.map((m) => m.label).join(" ")}`);
      await waitFor(async () => {
        const counts = await tableCounts(hubUrl);
        return KINDS.every((k) => counts[k] >= ROWS - lateRows);
      }, { timeoutMs: 30_000, intervalMs: 200, message: "first round stored" });
      // A pause: nothing more may appear while the late batch is still out.
      await delay(2_000);
      const paused = await tableCounts(hubUrl);
      for (const kind of KINDS) assertEquals(paused[kind], ROWS - lateRows, `${kind} before late`);

      await publishAll(broker.url, lateRound);
      await waitFor(async () => {
        const counts = await tableCounts(hubUrl);
        return KINDS.every((k) => counts[k] >= ROWS);
      }, { timeoutMs: 30_000, intervalMs: 200, message: "late batches stored" });
      // Let every replayed message be handled before counting.
      const messages = firstRound.length + lateRound.length;
      await waitFor(async () => {
        const page = await hubMetrics(hubUrl);
        const handled = hubBatches(page, "inserted") + hubBatches(page, "duplicate") +
          hubBatches(page, "partial");
        return handled >= messages;
      }, { timeoutMs: 30_000, intervalMs: 200, message: `all ${messages} messages handled` });
      await delay(500);

      const tables: AccountedTable[] = KINDS.map((kind) => ({
        kind,
        select: ["CAST(epoch_ns(ts) AS VARCHAR)", ...COMPARED_COLUMNS[kind]],
        canonical: ([ts, ...values]) =>
          canonical(
            kind,
            ts,
            Object.fromEntries(COMPARED_COLUMNS[kind].map((c, i) => [c, values[i]])),
          ),
        expected: masterRows(kind, masters[kind]),
      }));
      const result = await accountRows("replay_reorder", hubUrl, tables);
      assertExactlyOnce(result);

      // The hub saw the replays for what they were.
      const page = await hubMetrics(hubUrl);
      const outcomes = (outcome: "inserted" | "duplicate" | "partial") => hubBatches(page, outcome);
      console.log(
        `  batches: inserted ${outcomes("inserted")} partial ${outcomes("partial")} ` +
          `duplicate ${outcomes("duplicate")}`,
      );
      assert(outcomes("duplicate") > 0 && outcomes("partial") > 0, "replays and overlaps seen");
      for (const kind of KINDS) {
        assertEquals(
          metricValue(page, `tributary_hub_rows_total{kind="${kind}"}`),
          ROWS,
          `${kind} rows counted`,
        );
      }
    },
  );
});
