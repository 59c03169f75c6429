/**
 * Heartbeats across processes: a real Mosquitto, the hub and an agent. The
 * agent appears in `/api/v1/agents` with its version and backlog within a few
 * seconds; after it is SIGKILLed, the hub marks it stale once `stale_after_s`
 * passes without a heartbeat, and counts it in `tributary_hub_agents_stale`.
 */
import { join } from "node:path";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { VERSION } from "@tributary/shared/version";
import { startMosquitto } from "../harness/mosquitto.ts";
import { startDenoProcess } from "../harness/process.ts";
import { waitFor } from "../harness/wait_for.ts";
import { hubMetrics, metricValue } from "../harness/hub_client.ts";

const STALE_AFTER_S = 3;

interface AgentEntry {
  agent: string;
  version: string | null;
  last_heartbeat: string | null;
  stale: boolean;
  backlog: Record<string, { rows: number; bytes: number; oldest_unsent_age_s: number }>;
  dropped: Record<string, Record<string, number>>;
}

async function agentEntry(hubUrl: string, id: string): Promise<AgentEntry | undefined> {
  const res = await fetch(`${hubUrl}/api/v1/agents`, { signal: AbortSignal.timeout(5_000) });
  const body = await res.json() as { agents: AgentEntry[] };
  return body.agents.find((a) => a.agent === id);
}

Deno.test("heartbeats show the agent's version and backlog at the hub; a killed agent turns stale", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-heartbeat-" });
  try {
    await using broker = await startMosquitto();
    const hubConfig = join(dir, "hub.toml");
    await Deno.writeTextFile(
      hubConfig,
      `[hub]\ndata_dir = ${JSON.stringify(join(dir, "hub"))}\nstale_after_s = ${STALE_AFTER_S}\n` +
        `[http]\nlisten = "127.0.0.1:0"\n[mqtt]\nurl = ${JSON.stringify(broker.url)}\n`,
    );
    await using hub = await startDenoProcess({
      name: "hub",
      script: "hub/main.ts",
      args: ["run", "--config", hubConfig],
    });
    const hubUrl = String(hub.ready.http);

    const agentConfig = join(dir, "agent.toml");
    await Deno.writeTextFile(
      agentConfig,
      `[agent]\nid = "hb-agent-1"\ndata_dir = ${JSON.stringify(join(dir, "agent"))}\n` +
        `heartbeat_interval_s = 1\n[http]\nlisten = "127.0.0.1:0"\n` +
        `[transport.mqtt]\nurl = ${JSON.stringify(broker.url)}\n` +
        `[[inputs]]\ntype = "sim_sensors"\nrate = 200\n`,
    );
    await using agent = await startDenoProcess({
      name: "agent",
      script: "agent/main.ts",
      args: ["run", "--config", agentConfig],
    });

    const started = performance.now();
    const live = await waitFor(async () => {
      const entry = await agentEntry(hubUrl, "hb-agent-1");
      return entry?.last_heartbeat && !entry.stale ? entry : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200, message: "agent listed with a fresh heartbeat" });
    console.log(`heartbeat visible at the hub after ${Math.round(performance.now() - started)} ms`);
    assertEquals(live.version, VERSION);
    assertEquals(Object.keys(live.backlog).sort(), [...KINDS].sort());
    for (const k of KINDS) {
      assert(live.backlog[k]!.rows >= 0 && live.backlog[k]!.bytes >= 0, k);
      assertEquals(typeof live.dropped[k], "object", k);
    }
    const page = await hubMetrics(hubUrl);
    assert(metricValue(page, 'tributary_hub_heartbeats_total{result="stored"}') >= 1);
    assertEquals(metricValue(page, "tributary_hub_agents_stale"), 0);

    await agent.kill();
    const killedAt = performance.now();
    const stale = await waitFor(async () => {
      const entry = await agentEntry(hubUrl, "hb-agent-1");
      return entry?.stale ? entry : undefined;
    }, { timeoutMs: (STALE_AFTER_S + 5) * 1000, intervalMs: 200, message: "agent marked stale" });
    const after = (performance.now() - killedAt) / 1000;
    console.log(
      `agent marked stale ${after.toFixed(1)} s after SIGKILL (stale_after_s = ${STALE_AFTER_S})`,
    );
    // Not before stale_after_s minus the last heartbeat interval (1 s) could have passed.
    assert(after >= STALE_AFTER_S - 1.2, `stale after ${after} s`);
    assertEquals(stale.version, VERSION);
    assertEquals(metricValue(await hubMetrics(hubUrl), "tributary_hub_agents_stale"), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
