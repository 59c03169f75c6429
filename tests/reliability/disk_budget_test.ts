/**
 * Fault scenario 5: the buffer fills. The agent's link to the broker is cut
 * (a TCP proxy in blackhole mode) while the simulators keep producing, so the
 * backlog grows past a small enforced budget (`[buffer] max_bytes`, policy
 * `drop_oldest`, default priorities: logs are dropped first). Logs are
 * produced ten times faster than the other streams, so the budget can always
 * be met from logs alone: no other stream may lose a row.
 *
 * At the end, per stream: stored + dropped == sent exactly, nothing is
 * duplicated, and the drop counts in /status and /metrics equal the rows
 * missing at the hub.
 */
import { join } from "node:path";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { type Kind, KINDS } from "@tributary/shared/records";
import { startMosquitto } from "../harness/mosquitto.ts";
import { startTcpProxy } from "../harness/tcp_proxy.ts";
import { delay } from "../harness/_timeout.ts";
import { waitFor } from "../harness/wait_for.ts";
import { tableCounts } from "../harness/hub_client.ts";
import { expectedRows } from "../harness/expected_rows.ts";
import {
  accountRows,
  agentStatus,
  runScenario,
  simulatorTables,
  totalBacklog,
  writeHubConfig,
} from "./_scenario.ts";

const MAX_BYTES = 2_000_000;
const LOG_RATE = 2500; // log lines per second
const OTHER_RATE = 250; // readings, trades and quotes per second each
const BEFORE_MS = 3_000;
const CUT_MS = 15_000;
const AFTER_MS = 4_000;
const RUN_S = (BEFORE_MS + CUT_MS + AFTER_MS) / 1000;
const LOG_LIMIT = LOG_RATE * RUN_S;
const OTHER_LIMIT = OTHER_RATE * RUN_S;
const SEEDS = { sensors: 51, logs: 52, market: 53 };

async function writeConfig(dir: string, brokerUrl: string): Promise<string> {
  const path = join(dir, "agent.toml");
  const sim = (type: string, seed: number, rate: number, limit: number) =>
    `[[inputs]]\ntype = "${type}"\nseed = ${seed}\nrate = ${rate}\nlimit = ${limit}\n`;
  await Deno.writeTextFile(
    path,
    `[agent]\nid = "fault-disk-budget"\ndata_dir = ${JSON.stringify(join(dir, "agent"))}\n` +
      `[http]\nlisten = "127.0.0.1:0"\n` +
      // Small batches and window: in-flight rows (never dropped) stay well under the budget.
      `[shipper]\nmax_batch_rows = 1000\nin_flight = 2\n` +
      `[buffer]\nmax_bytes = ${MAX_BYTES}\npolicy = "drop_oldest"\n` +
      `[transport]\ntype = "mqtt"\n[transport.mqtt]\nurl = ${JSON.stringify(brokerUrl)}\n` +
      `reconnect_max_ms = 2000\n` +
      sim("sim_sensors", SEEDS.sensors, OTHER_RATE, OTHER_LIMIT) +
      sim("sim_logs", SEEDS.logs, LOG_RATE, LOG_LIMIT) +
      sim("sim_market", SEEDS.market, OTHER_RATE, OTHER_LIMIT),
  );
  return path;
}

/** `tributary_agent_rows_dropped_total` per stream and reason, from /metrics. */
async function metricDrops(agentUrl: string): Promise<Record<string, Record<string, number>>> {
  const text = await (await fetch(`${agentUrl}/metrics`)).text();
  const out: Record<string, Record<string, number>> = {};
  const re = /^tributary_agent_rows_dropped_total\{stream="(\w+)",reason="(\w+)"\} (\d+)$/gm;
  for (const m of text.matchAll(re)) (out[m[1]!] ??= {})[m[2]!] = Number(m[3]);
  return out;
}

const total = (byReason: Record<string, number> | undefined) =>
  Object.values(byReason ?? {}).reduce((a, b) => a + b, 0);

Deno.test("fault: buffer over its disk budget drops only as the policy says, counted exactly", async () => {
  await using broker = await startMosquitto();
  await using proxy = await startTcpProxy({ targetPort: broker.port });
  await runScenario("disk-budget", {
    hub: (dir) => writeHubConfig(dir, broker.url),
    agent: (dir) => writeConfig(dir, `mqtt://127.0.0.1:${proxy.port}`),
  }, async (run) => {
    const hubUrl = String((await run.startHub()).ready.http);
    const agentUrl = String((await run.startAgent()).ready.http);

    await delay(BEFORE_MS);
    proxy.cut("blackhole");
    const cutAt = Date.now();
    // While cut, the buffer never holds more than the budget.
    let peakBytes = 0;
    while (Date.now() - cutAt < CUT_MS) {
      await delay(500);
      const status = await agentStatus(agentUrl);
      peakBytes = Math.max(peakBytes, KINDS.reduce((n, k) => n + status[k].backlog_bytes, 0));
    }
    proxy.restore();
    console.log(`  link cut ${CUT_MS / 1000} s; peak buffer ${peakBytes} bytes of ${MAX_BYTES}`);
    assert(peakBytes <= MAX_BYTES, `buffer ${peakBytes} bytes > max_bytes ${MAX_BYTES}`);
    assert(peakBytes >= 0.8 * MAX_BYTES, `the budget was reached (${peakBytes} bytes)`);

    // Every simulator reaches its limit, then the backlog drains to 0.
    await waitFor(async () => {
      const status = await agentStatus(agentUrl);
      return KINDS.every((k) =>
        status[k].next_seq - 1 === (k === "logs" ? LOG_LIMIT : OTHER_LIMIT)
      ) && totalBacklog(status) === 0;
    }, { timeoutMs: 30_000, intervalMs: 250, message: "all rows written and drained" });
    await delay(500);

    const status = await agentStatus(agentUrl);
    const metrics = await metricDrops(agentUrl);
    const logs = expectedRows(SEEDS, LOG_LIMIT).logs;
    const others = expectedRows(SEEDS, OTHER_LIMIT);
    const result = await accountRows(
      "disk_budget (hub tables)",
      hubUrl,
      simulatorTables({ ...others, logs }),
    );
    const counts = await tableCounts(hubUrl);
    const dropped = Object.fromEntries(KINDS.map((k) => [k, total(status[k].dropped)])) as Record<
      Kind,
      number
    >;
    const details = KINDS.filter((k) => dropped[k] > 0).map((k) =>
      Object.entries(status[k].dropped ?? {}).map(([r, n]) => `${k}/${r} ${n}`).join(", ")
    ).join("; ");
    console.log(
      `scenario disk_budget: sent ${result.sent} stored ${result.stored} ` +
        `duplicated ${result.duplicated} dropped ${KINDS.reduce((n, k) => n + dropped[k], 0)} (${
          details || "none"
        })`,
    );

    for (const kind of KINDS) {
      const f = result.byKind[kind]!;
      const why = `${kind}: ${JSON.stringify(f)} dropped ${JSON.stringify(status[kind].dropped)}`;
      assertEquals(f.duplicated, 0, why);
      assertEquals(f.unexpected, 0, why);
      assertEquals(counts[kind], f.stored, why);
      // The rows missing at the hub are exactly the rows the agent says it dropped.
      assertEquals(f.lost, dropped[kind], why);
      assertEquals(f.stored + dropped[kind], f.sent, why);
      assertEquals(total(metrics[kind]), dropped[kind], `/metrics ${JSON.stringify(metrics)}`);
    }
    // Priorities: the budget was met from logs (class 2) alone.
    assert(dropped.logs > 0, "logs were dropped");
    assertEquals(status.logs.dropped, { budget_evicted: dropped.logs });
    for (const kind of ["readings", "trades", "quotes"] as const) {
      assertEquals(dropped[kind], 0, `${kind} lost rows while logs could be dropped`);
    }
  });
});
