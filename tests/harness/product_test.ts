import { parse } from "smol-toml";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { join } from "node:path";
import { writeAgentConfig, writeHubConfig } from "./product.ts";

/** Parses a TOML file into plain objects (smol-toml's tables have a null prototype). */
async function readToml(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(JSON.stringify(parse(await Deno.readTextFile(path))));
}

Deno.test("writeHubConfig and writeAgentConfig write TOML with the broker, simulators and extras", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-product-test-" });
  try {
    const hub = await readToml(await writeHubConfig(dir, "mqtt://127.0.0.1:1883"));
    assertEquals(hub, {
      hub: { data_dir: join(dir, "hub") },
      http: { listen: "127.0.0.1:0", query_max_rows: 10000000 },
      mqtt: { url: "mqtt://127.0.0.1:1883" },
    });

    const agent = await readToml(
      await writeAgentConfig({
        dir,
        id: "a-1",
        brokerUrl: "mqtt://127.0.0.1:1884",
        seeds: { sensors: 1, logs: 2, market: 3 },
        rate: 100,
        limit: 500,
        mqttExtra: ["reconnect_max_ms = 2000"],
        extraToml: "[shipper]\ndrain_timeout_ms = 2000\n",
      }),
    );
    assertEquals(agent.agent, { id: "a-1", data_dir: join(dir, "agent") });
    assertEquals(agent.transport, {
      type: "mqtt",
      mqtt: { url: "mqtt://127.0.0.1:1884", reconnect_max_ms: 2000 },
    });
    assertEquals(agent.inputs, [
      { type: "sim_sensors", seed: 1, rate: 100, limit: 500 },
      { type: "sim_logs", seed: 2, rate: 100, limit: 500 },
      { type: "sim_market", seed: 3, rate: 100, limit: 500 },
    ]);
    assertEquals(agent.shipper, { drain_timeout_ms: 2000 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
