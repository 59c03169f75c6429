/**
 * Fault scenario over Kafka: the broker (single-node KRaft) is SIGKILLed and
 * restarted twice under load. Whatever was in flight either way (batches,
 * acks, offset commits) may be lost or repeated; the end-to-end ack makes the
 * agent resend, the hub's dedup drops repeats, and every row must be stored
 * exactly once.
 */
import { join } from "node:path";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { startKafka } from "../harness/kafka.ts";
import type { DenoProcess } from "../harness/process.ts";
import { delay } from "../harness/_timeout.ts";
import { waitFor } from "../harness/wait_for.ts";
import { storedRows, tableCounts } from "../integration/hub_client.ts";
import { expectedRows } from "../integration/expected_rows.ts";
import {
  simulatorInputs,
  writeKafkaAgentConfig,
  writeKafkaHubConfig,
} from "../integration/kafka_configs.ts";
import {
  accountRows,
  agentStatus,
  assertExactlyOnce,
  simulatorTables,
  startProduct,
  stopQuietly,
  totalBacklog,
  withScenarioDir,
} from "./_scenario.ts";

const RATE = 1_500;
const ROWS_PER_KIND = 9_000; // 6 s of production
const RESTARTS = 2;
const SEEDS = { sensors: 41, logs: 42, market: 43 };

Deno.test("fault (kafka): broker SIGKILLed and restarted under load loses and duplicates nothing", async () => {
  await withScenarioDir("kafka-broker-restart", async (dir) => {
    await using kafka = await startKafka({ numPartitions: 2 });
    const hubConfig = await writeKafkaHubConfig(dir, "hub", {
      dataDir: join(dir, "hub"),
      bootstrap: kafka.bootstrap,
      partitions: 2,
    });
    const agentConfig = await writeKafkaAgentConfig(dir, "agent", {
      agentId: "fault-kafka-broker",
      dataDir: join(dir, "agent"),
      bootstrap: kafka.bootstrap,
      transportExtra: "ack_timeout_ms = 5000\nsend_timeout_ms = 5000\nreconnect_max_ms = 2000",
      inputs: simulatorInputs(SEEDS, ROWS_PER_KIND, RATE),
    });
    let hub: DenoProcess | undefined;
    let agent: DenoProcess | undefined;
    let hubExit: number | undefined;
    let agentExit: number | undefined;
    try {
      hub = await startProduct(dir, "hub", "hub/main.ts", hubConfig);
      const hubUrl = String(hub.ready.http);
      agent = await startProduct(dir, "agent", "agent/main.ts", agentConfig);
      const agentUrl = String(agent.ready.http);
      const stored = () => storedRows(hubUrl);
      const storedAtCrash: number[] = [];
      const recoveryMs: number[] = [];
      for (let k = 1; k <= RESTARTS; k++) {
        await waitFor(async () => await stored() > (storedAtCrash.at(-1) ?? 0) + 2_000, {
          timeoutMs: 30_000,
          intervalMs: 100,
          message: `rows flow before crash ${k}`,
        });
        const before = await stored();
        storedAtCrash.push(before);
        await kafka.restart({ signal: "SIGKILL", downMs: 500 });
        const up = performance.now();
        await waitFor(async () => await stored() > before, {
          timeoutMs: 40_000,
          intervalMs: 100,
          message: `rows reach the hub again after crash ${k}`,
        });
        recoveryMs.push(Math.round(performance.now() - up));
      }
      const total = KINDS.length * ROWS_PER_KIND;
      assert(
        storedAtCrash.every((n) => n > 0 && n < total),
        `crashes under load: ${storedAtCrash}`,
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
      await delay(1_000); // late re-deliveries would show up as extra rows
      const result = await accountRows(
        "kafka_broker_restart",
        hubUrl,
        simulatorTables(expectedRows(SEEDS, ROWS_PER_KIND)),
      );
      console.log(
        `  kafka SIGKILLed ${RESTARTS} times; rows stored at each: ${storedAtCrash}; ` +
          `ms until rows flowed again: ${recoveryMs}`,
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
