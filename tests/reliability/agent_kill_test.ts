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
import { delay } from "../harness/_timeout.ts";
import { storedRows } from "../harness/hub_client.ts";
import {
  accountSimulators,
  assertExactlyOnce,
  mqttScenario,
  runScenario,
  waitDelivered,
} from "./_scenario.ts";

const RATE = 1_500; // rows per second per kind, while an agent lives
const ROWS_PER_KIND = 24_000; // 16 s of production in total, spread over the agent's lives
const KILLS = 24;
const KILL_SEED = 3_003;
const SEEDS = { sensors: 31, logs: 32, market: 33 };

Deno.test("fault: agent SIGKILLed dozens of times while producing loses and duplicates nothing", async () => {
  await using broker = await startMosquitto();
  await runScenario(
    "agent-kill",
    mqttScenario(broker.url, {
      id: "fault-agent-kill",
      seeds: SEEDS,
      rate: RATE,
      limit: ROWS_PER_KIND,
    }),
    async (run) => {
      const random = createRandom(KILL_SEED);
      const hubUrl = String((await run.startHub()).ready.http);
      await run.startAgent("agent-0");

      // Kill 50 to 900 ms into each agent life: inside appends, sends, acks and retires.
      const storedAtKill: number[] = [];
      for (let k = 1; k <= KILLS; k++) {
        await delay(random.int(50, 900));
        const exit = await run.agent!.kill();
        assertEquals(exit.signal, "SIGKILL", `agent kill ${k}`);
        storedAtKill.push(await storedRows(hubUrl));
        await run.startAgent(`agent-${k}`);
      }
      // Most kills must have hit an agent that was still producing.
      const total = KINDS.length * ROWS_PER_KIND;
      assert(
        storedAtKill.filter((n) => n < total).length >= KILLS - 2,
        `kills while producing; rows stored at each kill: ${storedAtKill.join(", ")}`,
      );

      await waitDelivered(hubUrl, run.agentUrl(), ROWS_PER_KIND);
      const result = await accountSimulators("agent_kill", hubUrl, SEEDS, ROWS_PER_KIND);
      console.log(
        `  agent SIGKILLed ${KILLS} times; rows at the hub at each kill: ${storedAtKill}`,
      );
      assertExactlyOnce(result);
    },
  );
});
