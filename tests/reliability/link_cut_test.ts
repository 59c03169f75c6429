/**
 * Fault scenario 4: the link between the agent and the broker is cut (a TCP
 * proxy the test controls, in blackhole mode: connections hang, nothing is
 * refused) for `TRIBUTARY_LINK_CUT_S` seconds (default 60) while the
 * simulators keep producing, then restored. The agent buffers meanwhile (its
 * /status backlog grows, nothing reaches the hub), then catches up: every row
 * arrives exactly once and the backlog returns to 0.
 *
 * The hub talks to the broker directly; only the agent's side is cut.
 */
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { startMosquitto } from "../harness/mosquitto.ts";
import { startTcpProxy } from "../harness/tcp_proxy.ts";
import { delay } from "../harness/_timeout.ts";
import { storedRows } from "../harness/hub_client.ts";
import {
  accountSimulators,
  agentStatus,
  assertExactlyOnce,
  envSeconds,
  mqttScenario,
  runScenario,
  totalBacklog,
  waitDelivered,
} from "./_scenario.ts";

/** How long the link stays cut, in ms; `TRIBUTARY_LINK_CUT_S` overrides (seconds). */
const LINK_CUT_MS = envSeconds("TRIBUTARY_LINK_CUT_S", 60);
const RATE = 500; // rows per second per kind
const BEFORE_MS = 5_000; // normal flow before the cut
const AFTER_MS = 5_000; // production still running after the restore
const ROWS_PER_KIND = Math.ceil((RATE * (BEFORE_MS + LINK_CUT_MS + AFTER_MS)) / 1000);
const SEEDS = { sensors: 41, logs: 42, market: 43 };

Deno.test(`fault: link cut for ${LINK_CUT_MS / 1000} s while data keeps coming, then restored`, async () => {
  await using broker = await startMosquitto();
  await using proxy = await startTcpProxy({ targetPort: broker.port });
  await runScenario(
    "link-cut",
    mqttScenario(broker.url, {
      id: "fault-link-cut",
      brokerUrl: `mqtt://127.0.0.1:${proxy.port}`,
      seeds: SEEDS,
      rate: RATE,
      limit: ROWS_PER_KIND,
      // Defaults otherwise (keepalive 30 s, send timeout 30 s, connect timeout
      // 10 s); a shorter reconnect cap only keeps the wait after restore short.
      mqttExtra: ["reconnect_max_ms = 2000"],
    }),
    async (run) => {
      const hubUrl = String((await run.startHub()).ready.http);
      const agentUrl = String((await run.startAgent()).ready.http);

      // Normal flow first: rows reach the hub through the proxy.
      await delay(BEFORE_MS);
      const beforeCut = await storedRows(hubUrl);
      assert(beforeCut > 0, "rows flow through the proxy before the cut");

      proxy.cut("blackhole");
      const cutAt = Date.now();
      // What was already past the proxy may still land; after that, nothing.
      const settleMs = Math.min(3_000, LINK_CUT_MS / 3);
      await delay(settleMs);
      const earlyInCut = await storedRows(hubUrl);
      const backlogEarly = totalBacklog(await agentStatus(agentUrl));
      await delay(Math.max(0, LINK_CUT_MS - (Date.now() - cutAt) - 1_000));
      const lateInCut = await storedRows(hubUrl);
      const statusLate = await agentStatus(agentUrl);
      const backlogLate = totalBacklog(statusLate);
      await delay(Math.max(0, LINK_CUT_MS - (Date.now() - cutAt)));
      proxy.restore();
      const restoredAt = Date.now();
      const cutS = (Date.now() - cutAt) / 1000;
      console.log(
        `  link cut ${cutS.toFixed(1)} s: hub rows ${earlyInCut} -> ${lateInCut}, ` +
          `agent backlog ${backlogEarly} -> ${backlogLate} rows`,
      );

      // During the cut nothing got through, and the agent's own figures show it buffering.
      assertEquals(lateInCut, earlyInCut, "no row reached the hub during the cut");
      const cutProducedRows = (KINDS.length * RATE * (LINK_CUT_MS - settleMs - 1_000)) / 1000;
      assert(
        backlogLate - backlogEarly >= 0.5 * cutProducedRows,
        `agent backlog grew during the cut (${backlogEarly} -> ${backlogLate}, ` +
          `~${cutProducedRows} rows produced)`,
      );
      const oldest = Math.max(...KINDS.map((k) => statusLate[k].oldest_unsent_age_s));
      assert(
        oldest >= 0.5 * (LINK_CUT_MS / 1000 - 1),
        `oldest unsent row aged with the cut (${oldest} s)`,
      );

      await waitDelivered(hubUrl, agentUrl, ROWS_PER_KIND, {
        storedMessage: "all rows at the hub after restore",
        drainedMessage: "agent backlog back to 0",
      });
      console.log(`  caught up ${((Date.now() - restoredAt) / 1000).toFixed(1)} s after restore`);
      const result = await accountSimulators("link_cut", hubUrl, SEEDS, ROWS_PER_KIND);
      assertExactlyOnce(result);
    },
  );
});
