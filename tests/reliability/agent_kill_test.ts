/**
 * Fault scenario 3: the agent is SIGKILLed at seeded random moments, dozens
 * of times, while its simulators produce, and restarted each time on the same
 * data dir. Each simulator commits its row index with its rows (one DuckDB
 * transaction), so a restarted agent continues each seeded sequence exactly
 * where the committed rows end; the buffer resends what the hub has not
 * acknowledged, with the same seq bounds, and the hub's dedup drops repeats.
 * At the end every row of each sequence (limit per kind) must be stored at
 * the hub exactly once.
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

const RATE = 1_500; // rows per second per kind, while an agent lives
const ROWS_PER_KIND = 24_000; // 16 s of production in total, spread over the agent's lives
const KILLS = 24;
const KILL_SEED = 3_003;
const SEEDS = { sensors: 31, logs: 32, market: 33 };

Deno.test("fault: agent SIGKILLed dozens of times while producing loses and duplicates nothing", async () => {
  await withScenarioDir("agent-kill", async (dir) => {
    await using broker = await startMosquitto();
    const hubConfig = await writeHubConfig(dir, broker.url);
    const agentConfig = await writeAgentConfig({
      dir,
      id: "fault-agent-kill",
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
      hub = await startProduct(dir, "hub", "hub/main.ts", hubConfig);
      const hubUrl = String(hub.ready.http);
      agent = await startProduct(dir, "agent-0", "agent/main.ts", agentConfig);

      // Kill 50 to 900 ms into each agent life: inside appends, sends, acks and retires.
      const storedAtKill: number[] = [];
      for (let k = 1; k <= KILLS; k++) {
        await delay(random.int(50, 900));
        const victim: DenoProcess = agent;
        const exit = await victim.kill();
        assertEquals(exit.signal, "SIGKILL", `agent kill ${k}`);
        storedAtKill.push(await storedRows(hubUrl));
        agent = await startProduct(dir, `agent-${k}`, "agent/main.ts", agentConfig);
      }
      const agentUrl = String(agent.ready.http);
      // Most kills must have hit an agent that was still producing.
      const total = KINDS.length * ROWS_PER_KIND;
      assert(
        storedAtKill.filter((n) => n < total).length >= KILLS - 2,
        `kills while producing; rows stored at each kill: ${storedAtKill.join(", ")}`,
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
      await delay(1_000); // late redeliveries would show up as extra rows

      const result = await accountRows(
        "agent_kill",
        hubUrl,
        simulatorTables(expectedRows(SEEDS, ROWS_PER_KIND)),
      );
      console.log(
        `  agent SIGKILLed ${KILLS} times; rows at the hub at each kill: ${storedAtKill}`,
      );
      assertExactlyOnce(result);
    } finally {
      agentExit = await stopQuietly(agent);
      hubExit = await stopQuietly(hub);
    }
    assertEquals(agentExit, 0, "agent exit code");
    assertEquals(hubExit, 0, "hub exit code");
  });
});
