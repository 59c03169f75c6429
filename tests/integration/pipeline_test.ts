/**
 * The walking skeleton end to end: a real Mosquitto, the hub and an agent as
 * separate processes. 10,000 rows of each kind must arrive exactly once, with
 * every value equal to what the seeded simulators produced.
 */
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { startMosquitto } from "../harness/mosquitto.ts";
import {
  assertSimulatorRows,
  startProduct,
  waitDelivered,
  writeAgentConfig,
  writeHubConfig,
} from "../harness/product.ts";
import { hubMetrics, hubQuery, metricValue } from "../harness/hub_client.ts";

const ROWS_PER_KIND = 10_000;
const SEEDS = { sensors: 11, logs: 12, market: 13 };

Deno.test("pipeline delivers 10,000 rows of each kind exactly once through real Mosquitto", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-pipeline-" });
  await using broker = await startMosquitto();
  await using hub = await startProduct(
    dir,
    "hub",
    "hub/main.ts",
    await writeHubConfig(dir, broker.url),
  );
  const hubUrl = String(hub.ready.http);
  // A rate of 5,000 rows/s per kind spreads 10,000 rows over many batches,
  // so ordering, batching and dedup are exercised, not a single message.
  const agent = await startProduct(
    dir,
    "agent",
    "agent/main.ts",
    await writeAgentConfig({
      dir,
      id: "it-agent-1",
      brokerUrl: broker.url,
      seeds: SEEDS,
      rate: 5_000,
      limit: ROWS_PER_KIND,
    }),
  );
  try {
    // All rows at the hub, then the agent's buffer drains: everything it took in was delivered.
    await waitDelivered(hubUrl, String(agent.ready.http), ROWS_PER_KIND);

    // Exactly once, even after a pause (a late redelivery would add rows): each kind holds as
    // many rows as were sent, and every value equals what the seeded simulators produced.
    await new Promise((r) => setTimeout(r, 500));
    await assertSimulatorRows(hubUrl, SEEDS, ROWS_PER_KIND);

    // Every row is attributed to the agent, and its timestamps are sane.
    for (const kind of KINDS) {
      const [row] = (await hubQuery(
        hubUrl,
        `SELECT count(DISTINCT agent), min(agent), count(*) FILTER (WHERE recv_ts < ts OR ingested_at < recv_ts) FROM ${kind}`,
      )).rows;
      assertEquals(row, [1, "it-agent-1", 0], `${kind} agent and timestamps`);
    }

    // The hub's own accounting agrees: rows counted, nothing quarantined.
    const page = await hubMetrics(hubUrl);
    for (const kind of KINDS) {
      assertEquals(
        metricValue(page, `tributary_hub_rows_total{kind="${kind}"}`),
        ROWS_PER_KIND,
        kind,
      );
    }
    const [quarantined] = (await hubQuery(hubUrl, "SELECT count(*) FROM quarantine")).rows;
    assertEquals(quarantined, [0]);

    const agents =
      await (await fetch(`${hubUrl}/api/v1/agents`, { signal: AbortSignal.timeout(5_000) })).json();
    const entry = agents.agents.find((a: { agent: string }) => a.agent === "it-agent-1");
    assert(entry, "agent listed by /api/v1/agents");
    for (const kind of KINDS) {
      assertEquals(entry.streams[kind].rows, ROWS_PER_KIND, `agents ${kind}`);
    }
  } finally {
    const agentExit = await agent.stop("SIGINT", 15_000);
    assertEquals(agentExit.code, 0, `agent exit; stderr tail:\n${agent.stderr().slice(-2000)}`);
    const hubExit = await hub.stop("SIGINT", 15_000);
    assertEquals(hubExit.code, 0, `hub exit; stderr tail:\n${hub.stderr().slice(-2000)}`);
    await Deno.remove(dir, { recursive: true });
  }
});
