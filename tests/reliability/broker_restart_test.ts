/**
 * Fault scenario 1: the broker is SIGKILLed and restarted repeatedly under
 * load. Persistence is off, so every restart really loses what the broker
 * held: messages queued for the hub's session, the session itself, batches
 * in flight in either direction and acks on their way back. Only the
 * end-to-end acknowledgement (the agent retires rows when the hub's ack for
 * its committed batch arrives, and resends otherwise) can recover them, and
 * the hub's dedup must drop what arrives twice.
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
const ROWS_PER_KIND = 30_000; // 15 s of production
const RESTARTS = 6;
const RESTART_SEED = 1_001;
const SEEDS = { sensors: 11, logs: 12, market: 13 };

Deno.test("fault: broker SIGKILLed and restarted repeatedly under load loses and duplicates nothing", async () => {
  await withScenarioDir("broker-restart", async (dir) => {
    await using broker = await startMosquitto({ persistence: false });
    const hubConfig = await writeHubConfig(dir, broker.url);
    const agentConfig = await writeAgentConfig({
      dir,
      id: "fault-broker-restart",
      brokerUrl: broker.url,
      seeds: SEEDS,
      rate: RATE,
      limit: ROWS_PER_KIND,
    });
    const random = createRandom(RESTART_SEED);
    let hub: DenoProcess | undefined;
    let agent: DenoProcess | undefined;
    let hubExit: number | undefined;
    let agentExit: number | undefined;
    try {
      hub = await startProduct(dir, "hub", "hub/main.ts", hubConfig);
      const hubUrl = String(hub.ready.http);
      agent = await startProduct(dir, "agent", "agent/main.ts", agentConfig);
      const agentUrl = String(agent.ready.http);

      // Crash the broker 0.5 to 2 s after rows flow again, down for 0 to 1 s.
      const stored = () => storedRows(hubUrl);
      const storedAtCrash: number[] = [];
      const recoveryMs: number[] = [];
      for (let k = 1; k <= RESTARTS; k++) {
        await delay(random.int(500, 2_000));
        const before = await stored();
        storedAtCrash.push(before);
        await broker.restart({ signal: "SIGKILL", downMs: random.int(0, 1_000) });
        const up = performance.now();
        await waitFor(async () => await stored() > before, {
          timeoutMs: 20_000,
          intervalMs: 100,
          message: `rows reach the hub again after crash ${k}`,
        });
        recoveryMs.push(Math.round(performance.now() - up));
      }
      const total = KINDS.length * ROWS_PER_KIND;
      assert(
        storedAtCrash.every((n) => n > 0 && n < total),
        `crashes under load; rows stored at each crash: ${storedAtCrash.join(", ")}`,
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

      // The crashes must have cost something: sends that failed and were retried.
      const failedSends = await metricSum(agentUrl, "tributary_agent_send_failures_total");
      assert(failedSends > 0, "the broker crashes made sends fail");

      const result = await accountRows(
        "broker_restart",
        hubUrl,
        simulatorTables(expectedRows(SEEDS, ROWS_PER_KIND)),
      );
      console.log(
        `  broker SIGKILLed ${RESTARTS} times (no persistence); rows stored at each: ` +
          `${storedAtCrash}; ms until rows flowed again: ${recoveryMs}; ` +
          `failed sends retried: ${failedSends}`,
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
