/**
 * SIGTERM drains within a bounded time: an agent with batches in flight (the
 * hub is down, so no end-to-end ack ever comes) and a growing backlog gets
 * SIGTERM while its simulators still produce. It must exit 0 within
 * `[shipper] drain_timeout_ms` plus a small margin, keeping every
 * unacknowledged row; restarted on the same data dir with the hub up, it
 * ships the rest and the simulators finish their sequences, exactly once.
 */
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { startMosquitto } from "../harness/mosquitto.ts";
import { waitFor } from "../harness/wait_for.ts";
import {
  accountSimulators,
  agentStatus,
  assertExactlyOnce,
  mqttScenario,
  runScenario,
  STALL_WARN_MS,
  totalBacklog,
  waitDelivered,
} from "./_scenario.ts";

const RATE = 2_000; // rows per second per kind
const ROWS_PER_KIND = 8_000; // 4 s of production
const DRAIN_TIMEOUT_MS = 2_000;
/** Time allowed beyond the drain timeout: stopping inputs, HTTP, MQTT and closing DuckDB. */
const MARGIN_MS = 2_500;
const SEEDS = { sensors: 41, logs: 42, market: 43 };
/** The backlog to build before SIGTERM: about one second of production, far from the end. */
const BACKLOG_ROWS = KINDS.length * RATE;

Deno.test("fault: SIGTERM with sends in flight exits 0 within drain_timeout_ms and loses nothing", async () => {
  await using broker = await startMosquitto();
  await runScenario(
    "sigterm-drain",
    mqttScenario(broker.url, {
      id: "fault-sigterm",
      seeds: SEEDS,
      rate: RATE,
      limit: ROWS_PER_KIND,
      extraToml: `[shipper]\ndrain_timeout_ms = ${DRAIN_TIMEOUT_MS}\n` +
        `stall_warn_ms = ${STALL_WARN_MS}\n`,
    }),
    async (run) => {
      // No hub yet: every batch sent waits for an ack that does not come.
      const first = await run.startAgent("agent-0");
      const backlog = await waitFor(async () => {
        const n = totalBacklog(await agentStatus(String(first.ready.http)));
        return n >= BACKLOG_ROWS ? n : 0;
      }, { timeoutMs: 30_000, intervalMs: 100, message: `a backlog of ${BACKLOG_ROWS} rows` });
      assert(backlog > 0 && backlog < KINDS.length * ROWS_PER_KIND, `backlog ${backlog}`);

      const started = performance.now();
      const exit = await first.stop("SIGTERM", DRAIN_TIMEOUT_MS + 10_000);
      const elapsedMs = performance.now() - started;
      console.log(
        `  SIGTERM with sends in flight and a backlog of ${backlog} rows: ` +
          `exit ${exit.code} after ${
            Math.round(elapsedMs)
          } ms (drain_timeout_ms ${DRAIN_TIMEOUT_MS})`,
      );
      assertEquals({ code: exit.code, killed: exit.killed }, { code: 0, killed: false });
      // The drain had work to wait for: sends the hub never acknowledged.
      assert(
        first.logRecords().some((r) =>
          String(r.msg).includes("stopped with sends still in flight")
        ),
        "the shipper reported sends in flight at stop",
      );
      assert(
        elapsedMs <= DRAIN_TIMEOUT_MS + MARGIN_MS,
        `exit took ${Math.round(elapsedMs)} ms, more than ${DRAIN_TIMEOUT_MS} + ${MARGIN_MS}`,
      );

      const hubUrl = String((await run.startHub()).ready.http);
      await run.startAgent("agent-1");
      await waitDelivered(hubUrl, run.agentUrl(), ROWS_PER_KIND, {
        storedTimeoutMs: 30_000,
        drainTimeoutMs: 20_000,
      });
      const result = await accountSimulators("sigterm_drain", hubUrl, SEEDS, ROWS_PER_KIND, 500);
      assertExactlyOnce(result);
    },
  );
});
