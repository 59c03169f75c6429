/**
 * The walking skeleton end to end: a real Mosquitto, the hub and an agent as
 * separate processes. 10,000 rows of each kind must arrive exactly once, with
 * every value equal to what the seeded simulators produced.
 */
import { join } from "node:path";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { startMosquitto } from "../harness/mosquitto.ts";
import { startDenoProcess } from "../harness/process.ts";
import { waitFor } from "../harness/wait_for.ts";
import { hubMetrics, hubQuery, metricValue, tableCounts } from "./hub_client.ts";
import { canonicalRow, COMPARED_COLUMNS, expectedRows } from "./expected_rows.ts";

const ROWS_PER_KIND = 10_000;
const SEEDS = { sensors: 11, logs: 12, market: 13 };

Deno.test("pipeline delivers 10,000 rows of each kind exactly once through real Mosquitto", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-pipeline-" });
  await using broker = await startMosquitto();
  const hubConfig = join(dir, "hub.toml");
  await Deno.writeTextFile(
    hubConfig,
    `[hub]\ndata_dir = ${JSON.stringify(join(dir, "hub"))}\n` +
      `[http]\nlisten = "127.0.0.1:0"\n[mqtt]\nurl = ${JSON.stringify(broker.url)}\n`,
  );
  await using hub = await startDenoProcess({
    name: "hub",
    script: "hub/main.ts",
    args: ["run", "--config", hubConfig],
  });
  const hubUrl = String(hub.ready.http);

  const agentConfig = join(dir, "agent.toml");
  // A rate of 5,000 rows/s per kind spreads 10,000 rows over many batches,
  // so ordering, batching and dedup are exercised, not a single message.
  await Deno.writeTextFile(
    agentConfig,
    `[agent]\nid = "it-agent-1"\ndata_dir = ${JSON.stringify(join(dir, "agent"))}\n` +
      `[http]\nlisten = "127.0.0.1:0"\n` +
      `[transport]\ntype = "mqtt"\n[transport.mqtt]\nurl = ${JSON.stringify(broker.url)}\n` +
      `[[inputs]]\ntype = "sim_sensors"\nseed = ${SEEDS.sensors}\nrate = 5000\nlimit = ${ROWS_PER_KIND}\n` +
      `[[inputs]]\ntype = "sim_logs"\nseed = ${SEEDS.logs}\nrate = 5000\nlimit = ${ROWS_PER_KIND}\n` +
      `[[inputs]]\ntype = "sim_market"\nseed = ${SEEDS.market}\nrate = 5000\nlimit = ${ROWS_PER_KIND}\n`,
  );
  const agent = await startDenoProcess({
    name: "agent",
    script: "agent/main.ts",
    args: ["run", "--config", agentConfig],
  });
  try {
    await waitFor(async () => {
      const counts = await tableCounts(hubUrl);
      return KINDS.every((k) => counts[k] >= ROWS_PER_KIND);
    }, { timeoutMs: 60_000, intervalMs: 250, message: "all rows at the hub" });

    // The agent's buffer drains: everything it took in has been delivered.
    await waitFor(async () => {
      const response = await fetch(`${agent.ready.http}/status`, {
        signal: AbortSignal.timeout(5_000),
      });
      const status = await response.json();
      return KINDS.every((k) => status.streams[k]?.backlog_rows === 0);
    }, { timeoutMs: 30_000, intervalMs: 250, message: "agent backlog drained" });

    // Exactly once: no kind has more rows than was sent, even after a pause.
    await new Promise((r) => setTimeout(r, 500));
    const counts = await tableCounts(hubUrl);
    for (const kind of KINDS) assertEquals(counts[kind], ROWS_PER_KIND, `${kind} row count`);

    // Every value equals what the seeded simulators produced (a multiset match).
    const expected = expectedRows(SEEDS, ROWS_PER_KIND);
    for (const kind of KINDS) {
      const columns = COMPARED_COLUMNS[kind];
      const answer = await hubQuery(hubUrl, `SELECT ${columns.join(", ")} FROM ${kind}`);
      const actual = answer.rows.map((row) =>
        canonicalRow(kind, Object.fromEntries(columns.map((c, i) => [c, row[i]])))
      );
      assertEquals(actual.sort(), [...expected[kind]].sort(), `${kind} values`);
    }

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
