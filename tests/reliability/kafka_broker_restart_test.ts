/**
 * Fault scenario over Kafka: the broker (single-node KRaft) is SIGKILLed and
 * restarted twice under load. Whatever was in flight either way (batches,
 * acks, offset commits) may be lost or repeated; the end-to-end ack makes the
 * agent resend, the hub's dedup drops repeats, and every row must be stored
 * exactly once.
 */
import { assert } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { startKafka } from "../harness/kafka.ts";
import { waitFor } from "../harness/wait_for.ts";
import { storedRows } from "../harness/hub_client.ts";
import {
  accountSimulators,
  assertExactlyOnce,
  kafkaScenario,
  rowsFlowAgain,
  runScenario,
  waitDelivered,
} from "./_scenario.ts";

const RATE = 1_500;
const ROWS_PER_KIND = 9_000; // 6 s of production
const RESTARTS = 2;
const SEEDS = { sensors: 41, logs: 42, market: 43 };

Deno.test("fault (kafka): broker SIGKILLed and restarted under load loses and duplicates nothing", async () => {
  await using kafka = await startKafka({ numPartitions: 2 });
  await runScenario(
    "kafka-broker-restart",
    kafkaScenario(kafka.bootstrap, { partitions: 2 }, {
      agentId: "fault-kafka-broker",
      transportExtra: "ack_timeout_ms = 5000\nsend_timeout_ms = 5000\nreconnect_max_ms = 2000",
      seeds: SEEDS,
      rate: RATE,
      limit: ROWS_PER_KIND,
    }),
    async (run) => {
      const hubUrl = String((await run.startHub()).ready.http);
      const agentUrl = String((await run.startAgent()).ready.http);
      const storedAtCrash: number[] = [];
      const recoveryMs: number[] = [];
      for (let k = 1; k <= RESTARTS; k++) {
        const last = storedAtCrash.at(-1) ?? 0;
        await waitFor(async () => await storedRows(hubUrl) > last + 2_000, {
          timeoutMs: 30_000,
          intervalMs: 100,
          message: `rows flow before crash ${k}`,
        });
        const before = await storedRows(hubUrl);
        storedAtCrash.push(before);
        await kafka.restart({ signal: "SIGKILL", downMs: 500 });
        recoveryMs.push(
          await rowsFlowAgain(hubUrl, before, {
            timeoutMs: 40_000,
            message: `rows reach the hub again after crash ${k}`,
          }),
        );
      }
      const total = KINDS.length * ROWS_PER_KIND;
      assert(
        storedAtCrash.every((n) => n > 0 && n < total),
        `crashes under load: ${storedAtCrash}`,
      );

      await waitDelivered(hubUrl, agentUrl, ROWS_PER_KIND);
      const result = await accountSimulators("kafka_broker_restart", hubUrl, SEEDS, ROWS_PER_KIND);
      console.log(
        `  kafka SIGKILLed ${RESTARTS} times; rows stored at each: ${storedAtCrash}; ` +
          `ms until rows flowed again: ${recoveryMs}`,
      );
      assertExactlyOnce(result);
    },
  );
});
