/**
 * Fault scenario 1: the broker is SIGKILLed and restarted repeatedly under
 * load. Persistence is off, so every restart really loses what the broker
 * held: messages queued for the hub's session, the session itself, batches
 * in flight in either direction and acks on their way back. Only the
 * end-to-end acknowledgement (the agent retires rows when the hub's ack for
 * its committed batch arrives, and resends otherwise) can recover them, and
 * the hub's dedup must drop what arrives twice.
 */
import { assert } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { createRandom } from "@tributary/shared/prng";
import { startMosquitto } from "../harness/mosquitto.ts";
import { delay } from "../harness/_timeout.ts";
import { storedRows } from "../harness/hub_client.ts";
import {
  accountSimulators,
  assertExactlyOnce,
  mqttScenario,
  rowsFlowAgain,
  runScenario,
  waitDelivered,
} from "./_scenario.ts";

const RATE = 2_000; // rows per second per kind
const ROWS_PER_KIND = 30_000; // 15 s of production
const RESTARTS = 6;
const RESTART_SEED = 1_001;
const SEEDS = { sensors: 11, logs: 12, market: 13 };

Deno.test("fault: broker SIGKILLed and restarted repeatedly under load loses and duplicates nothing", async () => {
  await using broker = await startMosquitto({ persistence: false });
  await runScenario(
    "broker-restart",
    mqttScenario(broker.url, {
      id: "fault-broker-restart",
      seeds: SEEDS,
      rate: RATE,
      limit: ROWS_PER_KIND,
      // A batch the broker lost is resent when its ack is overdue: well within the
      // 20 s the test waits for rows to flow again (the default is 30 s).
      mqttExtra: ["ack_timeout_ms = 5000"],
    }),
    async (run) => {
      const random = createRandom(RESTART_SEED);
      const hubUrl = String((await run.startHub()).ready.http);
      const agentUrl = String((await run.startAgent()).ready.http);

      // Crash the broker 0.5 to 2 s after rows flow again, down for 0 to 1 s.
      const storedAtCrash: number[] = [];
      const recoveryMs: number[] = [];
      for (let k = 1; k <= RESTARTS; k++) {
        await delay(random.int(500, 2_000));
        const before = await storedRows(hubUrl);
        storedAtCrash.push(before);
        await broker.restart({ signal: "SIGKILL", downMs: random.int(0, 1_000) });
        recoveryMs.push(
          await rowsFlowAgain(hubUrl, before, {
            timeoutMs: 20_000,
            message: `rows reach the hub again after crash ${k}`,
          }),
        );
      }
      const total = KINDS.length * ROWS_PER_KIND;
      assert(
        storedAtCrash.every((n) => n > 0 && n < total),
        `crashes under load; rows stored at each crash: ${storedAtCrash.join(", ")}`,
      );

      await waitDelivered(hubUrl, agentUrl, ROWS_PER_KIND);
      // The crashes must have cost something: sends that failed and were retried.
      const failedSends = await metricSum(agentUrl, "tributary_agent_send_failures_total");
      assert(failedSends > 0, "the broker crashes made sends fail");

      const result = await accountSimulators("broker_restart", hubUrl, SEEDS, ROWS_PER_KIND);
      console.log(
        `  broker SIGKILLed ${RESTARTS} times (no persistence); rows stored at each: ` +
          `${storedAtCrash}; ms until rows flowed again: ${recoveryMs}; ` +
          `failed sends retried: ${failedSends}`,
      );
      assertExactlyOnce(result);
    },
  );
});

/** The sum of every series of the counter `name` on the agent's /metrics page. */
async function metricSum(agentUrl: string, name: string): Promise<number> {
  const response = await fetch(`${agentUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = line.match(/^(\w+)(?:\{[^}]*\})? (\S+)$/);
    if (match && match[1] === name) sum += Number(match[2]);
  }
  return sum;
}
