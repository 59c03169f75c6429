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
import { delay } from "../harness/_timeout.ts";
import { waitFor } from "../harness/wait_for.ts";
import { storedRows } from "../harness/hub_client.ts";
import {
  accountSimulators,
  assertExactlyOnce,
  mqttScenario,
  runScenario,
  waitDelivered,
} from "./_scenario.ts";

const RATE = 2_000; // rows per second per kind
const ROWS_PER_KIND = 40_000; // 20 s of production
const KILLS = 6;
const KILL_SEED = 2_002;
const SEEDS = { sensors: 21, logs: 22, market: 23 };

Deno.test("fault: hub SIGKILLed and restarted repeatedly under load loses and duplicates nothing", async () => {
  await using broker = await startMosquitto();
  await runScenario(
    "hub-kill",
    mqttScenario(broker.url, {
      id: "fault-hub-kill",
      seeds: SEEDS,
      rate: RATE,
      limit: ROWS_PER_KIND,
    }),
    async (run) => {
      const random = createRandom(KILL_SEED);
      await run.startHub("hub-0");
      await run.startAgent();

      // Kill k waits until the hub holds k/(KILLS + 1) of all rows, then a seeded 0 to 300 ms
      // more, and keeps it down for 0 to 1 s. Driven by progress rather than by the clock, so
      // a slow (loaded) machine still kills a hub that is ingesting, not one that is done.
      const total = KINDS.length * ROWS_PER_KIND;
      const storedAtKill: number[] = [];
      for (let k = 1; k <= KILLS; k++) {
        const url = run.hubUrl();
        const threshold = Math.floor((total * k) / (KILLS + 1));
        await waitFor(async () => await storedRows(url) >= threshold, {
          timeoutMs: 60_000,
          intervalMs: 50,
          message: `hub life ${k} stores ${threshold} rows`,
        });
        await delay(random.int(0, 300));
        storedAtKill.push(await storedRows(url));
        const exit = await run.hub!.kill();
        assertEquals(exit.signal, "SIGKILL", `hub kill ${k}`);
        await delay(random.int(0, 1_000));
        await run.startHub(`hub-${k}`);
      }
      // The kills must have hit a hub that was ingesting, not an idle one.
      assert(
        storedAtKill.filter((n) => n > 0 && n < total).length >= KILLS - 1,
        `kills under load; rows stored at each kill: ${storedAtKill.join(", ")}`,
      );

      await waitDelivered(run.hubUrl(), run.agentUrl(), ROWS_PER_KIND);
      const result = await accountSimulators("hub_kill", run.hubUrl(), SEEDS, ROWS_PER_KIND);
      console.log(`  hub killed ${KILLS} times; rows stored at each kill: ${storedAtKill}`);
      assertExactlyOnce(result);
    },
  );
});
