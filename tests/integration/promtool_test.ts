/**
 * `promtool check metrics` (Debian `prometheus`) passes on the hub's and the
 * agent's /metrics pages while data flows, and each page carries the metric
 * families the operator guide promises.
 */
import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { startStack } from "../browser/sim_stack.ts";
import { waitFor } from "../harness/wait_for.ts";
import { hubMetrics, metricValue } from "../harness/hub_client.ts";

/** Runs `promtool check metrics` on `page`; returns its exit code and output. */
async function promtoolCheck(page: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(Deno.env.get("PROMTOOL_BIN") ?? "promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(page));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, output: (decode(stdout) + decode(stderr)).trim() };
}

/** The `# TYPE` of every family on a page. */
function families(page: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [, name, type] of page.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(name!, type!);
  return out;
}

const HUB_FAMILIES: Record<string, string> = {
  tributary_hub_rows_total: "counter",
  tributary_hub_batches_total: "counter",
  tributary_hub_bytes_total: "counter",
  tributary_hub_duplicate_rows_total: "counter",
  tributary_hub_quarantined_total: "counter",
  tributary_hub_acks_total: "counter",
  tributary_hub_ingest_seconds: "histogram",
  tributary_hub_query_seconds: "histogram",
  tributary_hub_agents_stale: "gauge",
  tributary_hub_agent_backlog_rows: "gauge",
  tributary_hub_agent_oldest_unsent_age_seconds: "gauge",
  tributary_hub_agent_dropped_rows: "gauge",
  tributary_hub_agent_heartbeat_age_seconds: "gauge",
  process_cpu_seconds_total: "counter",
  process_resident_memory_bytes: "gauge",
};

const AGENT_FAMILIES: Record<string, string> = {
  tributary_agent_rows_buffered_total: "counter",
  tributary_agent_rows_sent_total: "counter",
  tributary_agent_batches_sent_total: "counter",
  tributary_agent_bytes_sent_total: "counter",
  tributary_agent_rows_dropped_total: "counter",
  tributary_agent_backlog_rows: "gauge",
  tributary_agent_oldest_unsent_age_seconds: "gauge",
  tributary_agent_ack_seconds: "histogram",
  process_cpu_seconds_total: "counter",
  process_resident_memory_bytes: "gauge",
};

Deno.test("promtool check metrics passes on the hub's and the agent's /metrics", async () => {
  await using stack = await startStack({ rate: 200 });
  const agentUrl = String(stack.agent.ready.http);
  // Wait for real traffic, so labelled series and histogram buckets are on the pages, and for
  // the agent's first heartbeat (rows can arrive before it), which the fleet series come from.
  await waitFor(async () => {
    const page = await hubMetrics(stack.hubUrl);
    return ["readings", "logs", "trades", "quotes"].every((k) =>
      metricValue(page, `tributary_hub_rows_total{kind="${k}"}`) > 0
    ) && page.includes(`tributary_hub_agent_heartbeat_age_seconds{agent="dash-agent-1"}`);
  }, {
    timeoutMs: 45_000,
    intervalMs: 250,
    message: "rows of every kind and a heartbeat at the hub",
  });

  const pages = {
    hub: await hubMetrics(stack.hubUrl),
    agent: await (await fetch(`${agentUrl}/metrics`, { signal: AbortSignal.timeout(10_000) }))
      .text(),
  };
  for (const [who, page] of Object.entries(pages)) {
    const result = await promtoolCheck(page);
    assertEquals(result, { code: 0, output: "" }, `promtool on the ${who} page`);
  }

  const expect = { hub: HUB_FAMILIES, agent: AGENT_FAMILIES };
  for (const [who, wanted] of Object.entries(expect)) {
    const found = families(pages[who as keyof typeof pages]);
    for (const [name, type] of Object.entries(wanted)) {
      assertEquals(found.get(name), type, `${who}: ${name}`);
    }
  }
  assertMatch(pages.agent, /tributary_agent_ack_seconds_count\{stream="readings"\} [1-9]/);
  assertMatch(pages.hub, /tributary_hub_ingest_seconds_count [1-9]/);
  assertMatch(pages.hub, /tributary_hub_agent_heartbeat_age_seconds\{agent="dash-agent-1"\} /);
});

Deno.test("promtool check metrics fails a malformed page (the check can fail)", async () => {
  const bad = "# TYPE x_total gauge\nx_total 1\n";
  const result = await promtoolCheck(bad);
  assertEquals(result.code !== 0, true, result.output);
  assertMatch(result.output, /x_total/);
});
