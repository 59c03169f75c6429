/**
 * The real hub and agent processes through the shipped Mosquitto config with
 * per-agent credentials (passwords from TRIBUTARY_MQTT_PASSWORD): the ACL
 * lets Tributary's own traffic through, batches and acknowledgements alike.
 */
import { join } from "node:path";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { startDenoProcess } from "../../tests/harness/process.ts";
import { waitFor } from "../../tests/harness/wait_for.ts";
import { hubQuery } from "../../tests/harness/hub_client.ts";
import { startSecuredMosquitto } from "./secured_broker.ts";

const ROWS = 300;

Deno.test("hub and agent deliver through the ACL-protected Mosquitto with their own credentials", async () => {
  const users = { hub: "hub-secret-1", "acl-agent-1": "agent-secret-1" };
  await using broker = await startSecuredMosquitto({ users, probeUser: "hub" });
  const dir = await Deno.makeTempDir({ prefix: "tributary-acl-pipeline-" });
  const hubConfig = join(dir, "hub.toml");
  await Deno.writeTextFile(
    hubConfig,
    `[hub]\ndata_dir = ${JSON.stringify(join(dir, "hub"))}\nlog_level = "warn"\n` +
      `[http]\nlisten = "127.0.0.1:0"\n` +
      `[mqtt]\nurl = ${JSON.stringify(broker.url)}\nusername = "hub"\n`,
  );
  await using hub = await startDenoProcess({
    name: "hub",
    script: "hub/main.ts",
    args: ["run", "--config", hubConfig],
    env: { TRIBUTARY_MQTT_PASSWORD: users.hub },
  });
  const agentConfig = join(dir, "agent.toml");
  await Deno.writeTextFile(
    agentConfig,
    `[agent]\nid = "acl-agent-1"\ndata_dir = ${JSON.stringify(join(dir, "agent"))}\n` +
      `log_level = "warn"\n[http]\nlisten = "127.0.0.1:0"\n` +
      `[transport]\ntype = "mqtt"\n[transport.mqtt]\nurl = ${JSON.stringify(broker.url)}\n` +
      `username = "acl-agent-1"\n` +
      `[[inputs]]\ntype = "sim_sensors"\nseed = 5\nrate = 1000\nlimit = ${ROWS}\n`,
  );
  const agent = await startDenoProcess({
    name: "agent",
    script: "agent/main.ts",
    args: ["run", "--config", agentConfig],
    env: { TRIBUTARY_MQTT_PASSWORD: users["acl-agent-1"] },
  });
  try {
    const hubUrl = String(hub.ready.http);
    await waitFor(async () => {
      const [row] = (await hubQuery(hubUrl, "SELECT count(*) FROM readings")).rows;
      return Number(row![0]) >= ROWS;
    }, { timeoutMs: 45_000, intervalMs: 250, message: "rows at the hub" });
    // The hub's acks reached the agent (the ACL lets the hub write them and the agent read
    // them): its buffer drains.
    await waitFor(async () => {
      const response = await fetch(`${agent.ready.http}/status`, {
        signal: AbortSignal.timeout(5_000),
      });
      const status = await response.json();
      return status.streams.readings?.backlog_rows === 0;
    }, { timeoutMs: 30_000, intervalMs: 250, message: "agent backlog drained by hub acks" });
    const [row] = (await hubQuery(hubUrl, "SELECT count(*), min(agent) FROM readings")).rows;
    assertEquals(row, [ROWS, "acl-agent-1"]);
  } finally {
    const agentExit = await agent.stop("SIGINT", 15_000);
    assertEquals(agentExit.code, 0, `agent exit; stderr tail:\n${agent.stderr().slice(-2000)}`);
    const hubExit = await hub.stop("SIGINT", 15_000);
    assertEquals(hubExit.code, 0, `hub exit; stderr tail:\n${hub.stderr().slice(-2000)}`);
    await Deno.remove(dir, { recursive: true });
  }
});
