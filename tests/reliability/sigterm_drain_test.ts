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
import type { DenoProcess } from "../harness/process.ts";
import { delay } from "../harness/_timeout.ts";
import { waitFor } from "../harness/wait_for.ts";
import { tableCounts } from "../integration/hub_client.ts";
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
const ROWS_PER_KIND = 8_000; // 4 s of production
const DRAIN_TIMEOUT_MS = 2_000;
/** Time allowed beyond the drain timeout: stopping inputs, HTTP, MQTT and closing DuckDB. */
const MARGIN_MS = 2_500;
const SEEDS = { sensors: 41, logs: 42, market: 43 };

Deno.test("fault: SIGTERM with sends in flight exits 0 within drain_timeout_ms and loses nothing", async () => {
  await withScenarioDir("sigterm-drain", async (dir) => {
    await using broker = await startMosquitto();
    const hubConfig = await writeHubConfig(dir, broker.url);
    const agentConfig = await writeAgentConfig({
      dir,
      id: "fault-sigterm",
      brokerUrl: broker.url,
      seeds: SEEDS,
      rate: RATE,
      limit: ROWS_PER_KIND,
    });
    await Deno.writeTextFile(
      agentConfig,
      `[shipper]\ndrain_timeout_ms = ${DRAIN_TIMEOUT_MS}\n`,
      { append: true },
    );
    let hub: DenoProcess | undefined;
    let agent: DenoProcess | undefined;
    let hubExit: number | undefined;
    let agentExit: number | undefined;
    try {
      // No hub yet: every batch sent waits for an ack that does not come.
      agent = await startProduct(dir, "agent-0", "agent/main.ts", agentConfig);
      const first: DenoProcess = agent;
      await delay(1_500);
      const before = await agentStatus(String(first.ready.http));
      const backlog = totalBacklog(before);
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

      hub = await startProduct(dir, "hub", "hub/main.ts", hubConfig);
      const hubUrl = String(hub.ready.http);
      agent = await startProduct(dir, "agent-1", "agent/main.ts", agentConfig);
      const agentUrl = String(agent.ready.http);
      await waitFor(async () => {
        const counts = await tableCounts(hubUrl);
        return KINDS.every((k) => counts[k] >= ROWS_PER_KIND);
      }, { timeoutMs: 30_000, intervalMs: 250, message: "all rows at the hub" });
      await waitFor(async () => totalBacklog(await agentStatus(agentUrl)) === 0, {
        timeoutMs: 20_000,
        intervalMs: 250,
        message: "agent backlog drained",
      });
      await delay(500);
      const result = await accountRows(
        "sigterm_drain",
        hubUrl,
        simulatorTables(expectedRows(SEEDS, ROWS_PER_KIND)),
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
