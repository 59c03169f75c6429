/**
 * Two hubs in one MQTT shared-subscription group (`[mqtt] shared_group`) on a
 * real Mosquitto. Phase 1: one agent's batches split between both hubs, every
 * row stored exactly once across them, and the hubs' acks reach the agent
 * (it acknowledges every row), and both hubs see its heartbeats (those
 * are subscribed unshared). Phase 2: a second agent starts, hub A is
 * SIGKILLed mid-stream, and hub B takes everything that follows; the agent's
 * resends (after `ack_timeout_ms`) cover batches in flight to hub A. Nothing
 * may be lost; rows stored by both hubs (cross-hub copies of one batch) are
 * counted and printed, and must be whole batches that both hubs list in
 * `ingested_batches`. Hub A's store is read afterwards by restarting it
 * without MQTT.
 */
import { join } from "node:path";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { startMosquitto } from "../harness/mosquitto.ts";
import { type DenoProcess, startDenoProcess } from "../harness/process.ts";
import { waitFor } from "../harness/wait_for.ts";
import { agentReadings, hubMetrics, ingestedBatches, metricValue } from "../harness/hub_client.ts";
import { expectedRows, multisetMinus } from "../harness/expected_rows.ts";

const ROWS = 3_000;
const RATE = 1_000;
const GROUP = "hubs";
/** Seconds over which both hubs count agent 1's heartbeats (sent every second). */
const HEARTBEAT_WINDOW_S = 8;

function expectedOf(agentId: string, seed: number): string[] {
  return expectedRows({ sensors: seed, logs: 0, market: 0 }, ROWS).readings.map((row) =>
    `${agentId} ${row}`
  );
}

async function ackedRows(agent: DenoProcess): Promise<number> {
  const response = await fetch(`${agent.ready.http}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  });
  return metricValue(await response.text(), 'tributary_agent_rows_acked_total{stream="readings"}');
}

Deno.test("two hubs in one MQTT shared group split one agent's batches; after a SIGKILL the other takes everything; no row lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-mqtt-shared-" });
  await using broker = await startMosquitto();
  const hubConfig = async (name: string) => {
    const path = join(dir, `${name}.toml`);
    // Distinct client ids: the default one would make the two hubs take over each other's session.
    await Deno.writeTextFile(
      path,
      `[hub]\ndata_dir = ${JSON.stringify(join(dir, name))}\n[http]\nlisten = "127.0.0.1:0"\n` +
        `[mqtt]\nurl = ${JSON.stringify(broker.url)}\nclient_id = "${name}"\n` +
        `shared_group = "${GROUP}"\n`,
    );
    return path;
  };
  const agentConfig = async (id: string, seed: number) => {
    const path = join(dir, `${id}.toml`);
    await Deno.writeTextFile(
      path,
      `[agent]\nid = "${id}"\ndata_dir = ${JSON.stringify(join(dir, id))}\n` +
        `heartbeat_interval_s = 1\n` +
        `[http]\nlisten = "127.0.0.1:0"\n` +
        `[transport.mqtt]\nurl = ${JSON.stringify(broker.url)}\nack_timeout_ms = 3000\n` +
        `[[inputs]]\ntype = "sim_sensors"\nseed = ${seed}\nrate = ${RATE}\nlimit = ${ROWS}\n`,
    );
    return path;
  };
  const started: DenoProcess[] = [];
  const start = async (name: string, script: string, config: string) => {
    const p = await startDenoProcess({
      name,
      script,
      args: ["run", "--config", config],
      readyTimeoutMs: 60_000,
    });
    started.push(p);
    return p;
  };
  try {
    const hubA = await start("hub-a", "hub/main.ts", await hubConfig("hub-a"));
    const hubB = await start("hub-b", "hub/main.ts", await hubConfig("hub-b"));
    const hubAUrl = String(hubA.ready.http);
    const hubBUrl = String(hubB.ready.http);

    // Phase 1: both hubs up; one agent drains through them.
    const agent1 = await start(
      "agent-1",
      "agent/main.ts",
      await agentConfig("shared-agent-1", 201),
    );
    await waitFor(async () => (await ackedRows(agent1)) >= ROWS, {
      timeoutMs: 40_000,
      intervalMs: 250,
      message: "agent 1 acknowledged every row",
    });
    const expected1 = expectedOf("shared-agent-1", 201);
    const a1 = await agentReadings(hubAUrl);
    const b1 = await agentReadings(hubBUrl);
    console.log(`phase 1 (both hubs up): hub A ${a1.length} rows, hub B ${b1.length} rows`);
    assert(a1.length > 0 && b1.length > 0, "both hubs got a share");
    const phase1 = multisetMinus([...a1, ...b1], expected1);
    assertEquals(phase1.missing, [], "rows lost");
    assertEquals(phase1.left, [], "rows stored twice");
    // Heartbeats are subscribed plainly, not shared: each hub stores every one of
    // them (one per second), where a shared subscription would give each about half.
    const heartbeats = async () =>
      await Promise.all(
        [hubAUrl, hubBUrl].map(async (url) =>
          metricValue(await hubMetrics(url), 'tributary_hub_heartbeats_total{result="stored"}')
        ),
      );
    const before = await heartbeats();
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_WINDOW_S * 1000));
    const after = await heartbeats();
    const seen = after.map((n, i) => n - before[i]!);
    console.log(`heartbeats stored in ${HEARTBEAT_WINDOW_S} s: hub A ${seen[0]}, hub B ${seen[1]}`);
    for (const n of seen) {
      assert(n >= HEARTBEAT_WINDOW_S - 2, `each hub sees every heartbeat: ${seen}`);
    }

    // Phase 2: a second agent; hub A is killed once it stored some of its rows.
    const agent2 = await start(
      "agent-2",
      "agent/main.ts",
      await agentConfig("shared-agent-2", 202),
    );
    await waitFor(
      async () =>
        (await agentReadings(hubAUrl)).filter((r) => r.startsWith("shared-agent-2 ")).length > 300,
      { timeoutMs: 30_000, intervalMs: 100, message: "hub A stores agent 2's rows" },
    );
    await hubA.kill();
    const killedAt = performance.now();
    // Batches in flight to (or queued at the broker for) hub A's session come back
    // through the agent's resends after ack_timeout_ms; the next ones go to hub B.
    await waitFor(async () => (await ackedRows(agent2)) >= ROWS, {
      timeoutMs: 45_000,
      intervalMs: 250,
      message: "agent 2 acknowledged every row after hub A died",
    });
    console.log(
      `agent 2 drained ${
        ((performance.now() - killedAt) / 1000).toFixed(1)
      } s after hub A's SIGKILL`,
    );

    // Read hub A's store: same data dir, embedded broker on a free port (no group).
    const queryConfig = join(dir, "hub-a-query.toml");
    await Deno.writeTextFile(
      queryConfig,
      `[hub]\ndata_dir = ${JSON.stringify(join(dir, "hub-a"))}\n` +
        `[http]\nlisten = "127.0.0.1:0"\n[broker]\nlisten = "127.0.0.1:0"\n`,
    );
    const hubAQuery = await start("hub-a-query", "hub/main.ts", queryConfig);
    const rowsA = await agentReadings(String(hubAQuery.ready.http));
    const rowsB = await agentReadings(hubBUrl);
    const expected = [...expected1, ...expectedOf("shared-agent-2", 202)];
    const batchesA = await ingestedBatches(String(hubAQuery.ready.http), "readings");
    const batchesB = await ingestedBatches(hubBUrl, "readings");
    const overlap = [...batchesB.keys()].filter((key) => batchesA.has(key));
    const overlapRows = overlap.reduce((sum, key) => sum + batchesB.get(key)!, 0);
    console.log(
      `after the kill: hub A ${rowsA.length} rows, hub B ${rowsB.length} rows; ` +
        `batches stored by both hubs: ${overlap.length} (${overlapRows} rows)`,
    );
    const { left, missing } = multisetMinus([...rowsA, ...rowsB], expected);
    assertEquals(missing, [], "rows lost");
    // A cross-hub copy is a whole batch both hubs list (a resend of a batch hub A
    // stored but whose ack died with it); nothing else may be doubled.
    assertEquals(left.length, overlapRows, "extra rows are exactly the cross-hub batch copies");
  } finally {
    for (const p of started.reverse()) await p.stop("SIGINT", 15_000);
    await Deno.remove(dir, { recursive: true });
  }
});
