/**
 * The mqtt input inside a whole agent, against a real Mosquitto: messages
 * published while the agent is stopped arrive after it restarts (persistent
 * session), and the input's processors (here `range`) quarantine into the
 * agent's buffer file.
 */
import { createLogger } from "@tributary/shared/log";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { startMosquitto } from "../../../tests/harness/mosquitto.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { type Agent, startAgent } from "../../agent.ts";
import { parseConfig } from "../../config.ts";
import type { MqttInput } from "./mod.ts";

function configText(dir: string, url: string): string {
  return `
[agent]
id = "edge-3"
data_dir = "${dir}"
heartbeat_interval_s = 0
[http]
listen = "127.0.0.1:0"
[shipper]
linger_ms = 20
[transport.mqtt]
url = "${url}"
ack = "broker"
[[inputs]]
type = "mqtt"
id = "devices"
url = "${url}"
topics = ["sensors/#"]
reconnect_ms = 100
processors = [{ type = "range", metrics = ["temp"], min = -40, max = 125 }]
`;
}

async function pub(port: number, topic: string, message: string): Promise<void> {
  const out = await new Deno.Command("mosquitto_pub", {
    args: ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-t", topic, "-m", message],
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
}

async function metricsText(agent: Agent): Promise<string> {
  const res = await fetch(`${agent.httpUrl}/metrics`);
  return await res.text();
}

Deno.test("agent with an mqtt input gets messages sent while it was down, after a restart", async () => {
  await using broker = await startMosquitto();
  const dir = await Deno.makeTempDir();
  const config = parseConfig(configText(dir, broker.url));
  const log = createLogger({ sink: () => {} });
  let agent: Agent | undefined;
  try {
    agent = await startAgent(config, { log });
    const first = agent;
    // The first run subscribes (a session the broker keeps from then on).
    await (first.inputs[0] as MqttInput).ready;
    await pub(broker.port, "sensors/t1/temp", '{"value": 1}');
    await waitFor(async () => (await first.buffer.stats()).readings.next_seq === 2, {
      message: "first message buffered",
    });
    await agent.stop();
    agent = undefined;

    // Down: the broker queues these for the persistent session.
    for (let i = 2; i <= 5; i++) await pub(broker.port, "sensors/t1/temp", `{"value": ${i}}`);
    await pub(broker.port, "sensors/t1/temp", '{"value": 999}');

    agent = await startAgent(config, { log });
    const second = agent;
    await waitFor(
      async () => (await second.buffer.stats()).readings.next_seq - 1 === 1 + 4,
      { message: "queued messages buffered" },
    );
    await waitFor(async () => (await metricsText(second)).includes('reason="out_of_range"} 1'));
    const metrics = await metricsText(second);
    assert(
      metrics.includes('tributary_agent_input_rows_total{input="devices",type="mqtt"} 4'),
      metrics.split("\n").filter((l) => l.includes("input_")).join("\n"),
    );
    const quarantined = await second.buffer.query(
      "SELECT input_id, reason, json_extract(record, '$.value')::DOUBLE FROM quarantine",
    );
    assertEquals(quarantined.rows, [["devices", "out_of_range", 999]]);
  } finally {
    await agent?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
