/**
 * Fault scenario 2: the hub is SIGKILLed repeatedly under load and restarted
 * on the same data dir. The agent ships through a real Mosquitto at a steady
 * rate; the hub's persistent session (clean: false, fixed client id) makes
 * the broker queue what arrives while the hub is down and redeliver what it
 * never acknowledged, and the hub acknowledges only after its DuckDB commit,
 * so every row must end up stored exactly once.
 */
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { createRandom } from "@tributary/shared/prng";
import { startMosquitto } from "../harness/mosquitto.ts";
import type { DenoProcess } from "../harness/process.ts";
import { delay } from "../harness/_timeout.ts";
import { waitFor } from "../harness/wait_for.ts";
import { storedRows, tableCounts } from "../integration/hub_client.ts";
import { expectedRows } from "../integration/expected_rows.ts";
import {
  accountRows,
  agentStatus,
  assertExactlyOnce,
  simulatorTables,
  startProduct,
  stopQuietly,
  totalBacklog,
  withScenarioDir,
  writeAgentConfig,
  writeHubConfig,
} from "./_scenario.ts";

const RATE = 2_000; // rows per second per kind
const ROWS_PER_KIND = 40_000; // 20 s of production
const KILLS = 6;
const KILL_SEED = 2_002;
const SEEDS = { sensors: 21, logs: 22, market: 23 };

Deno.test("fault: hub SIGKILLed and restarted repeatedly under load loses and duplicates nothing", async () => {
  await withScenarioDir("hub-kill", async (dir) => {
    await using broker = await startMosquitto();
    const hubConfig = await writeHubConfig(dir, broker.url);
    const agentConfig = await writeAgentConfig({
      dir,
      id: "fault-hub-kill",
      brokerUrl: broker.url,
      seeds: SEEDS,
      rate: RATE,
      limit: ROWS_PER_KIND,
    });
    const random = createRandom(KILL_SEED);
    let hub: DenoProcess | undefined;
    let agent: DenoProcess | undefined;
    let hubExit: number | undefined;
    let agentExit: number | undefined;
    try {
      hub = await startProduct(dir, "hub-0", "hub/main.ts", hubConfig);
      agent = await startProduct(dir, "agent", "agent/main.ts", agentConfig);
      const agentUrl = String(agent.ready.http);

      // Kill k waits until the hub holds k/(KILLS + 1) of all rows, then a seeded 0 to 300 ms
      // more, and keeps it down for 0 to 1 s. Driven by progress rather than by the clock, so
      // a slow (loaded) machine still kills a hub that is ingesting, not one that is done.
      const total = KINDS.length * ROWS_PER_KIND;
      const storedAtKill: number[] = [];
      for (let k = 1; k <= KILLS; k++) {
        const victim: DenoProcess = hub;
        const url = String(victim.ready.http);
        const threshold = Math.floor((total * k) / (KILLS + 1));
        await waitFor(async () => await storedRows(url) >= threshold, {
          timeoutMs: 60_000,
          intervalMs: 50,
          message: `hub life ${k} stores ${threshold} rows`,
        });
        await delay(random.int(0, 300));
        storedAtKill.push(await storedRows(url));
        const exit = await victim.kill();
        assertEquals(exit.signal, "SIGKILL", `hub kill ${k}`);
        await delay(random.int(0, 1_000));
        hub = await startProduct(dir, `hub-${k}`, "hub/main.ts", hubConfig);
      }
      const hubUrl = String(hub.ready.http);
      // The kills must have hit a hub that was ingesting, not an idle one.
      assert(
        storedAtKill.filter((n) => n > 0 && n < total).length >= KILLS - 1,
        `kills under load; rows stored at each kill: ${storedAtKill.join(", ")}`,
      );

      await waitFor(async () => {
        const counts = await tableCounts(hubUrl);
        return KINDS.every((k) => counts[k] >= ROWS_PER_KIND);
      }, { timeoutMs: 60_000, intervalMs: 250, message: "all rows at the hub" });
      await waitFor(async () => totalBacklog(await agentStatus(agentUrl)) === 0, {
        timeoutMs: 30_000,
        intervalMs: 250,
        message: "agent backlog drained",
      });
      // Late redeliveries would show up as extra rows: give them a moment.
      await delay(1_000);

      const result = await accountRows(
        "hub_kill",
        hubUrl,
        simulatorTables(expectedRows(SEEDS, ROWS_PER_KIND)),
      );
      console.log(`  hub killed ${KILLS} times; rows stored at each kill: ${storedAtKill}`);
      assertExactlyOnce(result);
    } finally {
      agentExit = await stopQuietly(agent);
      hubExit = await stopQuietly(hub);
    }
    assertEquals(agentExit, 0, "agent exit code");
    assertEquals(hubExit, 0, "hub exit code");
  });
});
