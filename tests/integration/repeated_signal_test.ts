/**
 * Ctrl-C in a terminal under `deno task` delivers SIGINT to each process
 * twice: once to the whole process group, once forwarded by the parent
 * (tools/demo.ts stops its children itself). Both processes must still drain
 * and exit 0, not die on the second signal.
 */
import { join } from "node:path";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { startDenoProcess } from "../harness/process.ts";

Deno.test("hub and agent exit 0 when SIGINT arrives twice in a row", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-signal-" });
  const hubConfig = join(dir, "hub.toml");
  await Deno.writeTextFile(
    hubConfig,
    `[hub]\ndata_dir = ${JSON.stringify(join(dir, "hub"))}\n` +
      `[http]\nlisten = "127.0.0.1:0"\n[broker]\nlisten = "127.0.0.1:0"\n`,
  );
  const hub = await startDenoProcess({
    name: "hub",
    script: "hub/main.ts",
    args: ["run", "--config", hubConfig],
  });
  const agentConfig = join(dir, "agent.toml");
  await Deno.writeTextFile(
    agentConfig,
    `[agent]\nid = "signal-1"\ndata_dir = ${JSON.stringify(join(dir, "agent"))}\n` +
      `[http]\nlisten = "127.0.0.1:0"\n` +
      `[transport]\ntype = "mqtt"\n[transport.mqtt]\nurl = ${
        JSON.stringify(String(hub.ready.mqtt))
      }\n` +
      `[[inputs]]\ntype = "sim_sensors"\nrate = 2000\n`,
  );
  const agent = await startDenoProcess({
    name: "agent",
    script: "agent/main.ts",
    args: ["run", "--config", agentConfig],
  });
  try {
    await new Promise((r) => setTimeout(r, 500)); // let batches be in flight
    for (const proc of [agent, hub]) {
      Deno.kill(proc.pid, "SIGINT");
      Deno.kill(proc.pid, "SIGINT");
      const exit = await proc.exited;
      assertEquals(
        exit.code,
        0,
        `${proc.name} exit after two SIGINTs; stderr tail:\n${proc.stderr().slice(-1500)}`,
      );
    }
  } finally {
    await agent.stop("SIGKILL", 5_000);
    await hub.stop("SIGKILL", 5_000);
    await Deno.remove(dir, { recursive: true });
  }
});
