/**
 * A real Prometheus server (Debian `prometheus`) on a free loopback port
 * scrapes the hub and the agent every second; its HTTP API then shows
 * Tributary's series with the values the hub reports.
 */
import { join } from "node:path";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { startStack } from "../browser/sim_stack.ts";
import { getFreePort } from "../harness/free_port.ts";
import { waitFor } from "../harness/wait_for.ts";

interface PromVectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Runs an instant query on Prometheus's HTTP API. */
async function promQuery(baseUrl: string, query: string): Promise<PromVectorSample[]> {
  const response = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(query)}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.json();
  if (body.status !== "success") {
    throw new Error(`prometheus query ${query}: ${JSON.stringify(body)}`);
  }
  return body.data.result as PromVectorSample[];
}

/** `host:port` of an `http://host:port` URL. */
const hostPort = (url: string) => new URL(url).host;

Deno.test("a real Prometheus scraping the hub and the agent sees Tributary's series", async () => {
  await using stack = await startStack({ rate: 200 });
  const dir = await Deno.makeTempDir({ prefix: "tributary-prometheus-" });
  const port = getFreePort();
  const config = join(dir, "prometheus.yml");
  await Deno.writeTextFile(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 900ms",
      "scrape_configs:",
      "  - job_name: tributary-hub",
      "    static_configs:",
      `      - targets: ["${hostPort(stack.hubUrl)}"]`,
      "  - job_name: tributary-agent",
      "    static_configs:",
      `      - targets: ["${hostPort(String(stack.agent.ready.http))}"]`,
      "",
    ].join("\n"),
  );
  const child = new Deno.Command(Deno.env.get("PROMETHEUS_BIN") ?? "prometheus", {
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  const prom = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => {
      const response = await fetch(`${prom}/-/ready`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      return response.ok;
    }, { timeoutMs: 30_000, intervalMs: 200, message: "prometheus ready" });

    // Both targets up, and the hub's row counters scraped for every kind.
    await waitFor(async () => {
      const up = await promQuery(prom, "up");
      const rows = await promQuery(prom, 'tributary_hub_rows_total{job="tributary-hub"} > 0');
      return up.length === 2 && up.every((s) => s.value[1] === "1") && rows.length === 4;
    }, { timeoutMs: 30_000, intervalMs: 500, message: "targets up and hub rows scraped" });

    // A few seconds of scrapes: a rate over them is positive for every kind.
    await waitFor(async () => {
      const rates = await promQuery(prom, "rate(tributary_hub_rows_total[5s])");
      return rates.length === 4 && rates.every((s) => Number(s.value[1]) > 0);
    }, { timeoutMs: 30_000, intervalMs: 500, message: "positive ingest rates" });

    const kinds = (await promQuery(prom, "tributary_hub_rows_total")).map((s) => s.metric.kind)
      .sort();
    assertEquals(kinds, ["logs", "quotes", "readings", "trades"]);
    const acks = await promQuery(prom, "sum(tributary_agent_ack_seconds_count)");
    assert(Number(acks[0]?.value[1]) > 0, "agent ack latency observed");
    const p99 = await promQuery(
      prom,
      "histogram_quantile(0.99, sum by (le) (rate(tributary_hub_ingest_seconds_bucket[10s])))",
    );
    assert(Number.isFinite(Number(p99[0]?.value[1])), `hub ingest p99: ${JSON.stringify(p99)}`);
    // The fleet view at the hub: the agent's reported backlog, one series per stream.
    const backlog = await promQuery(
      prom,
      `tributary_hub_agent_backlog_rows{agent="${stack.agentId}"}`,
    );
    assertEquals(backlog.map((s) => s.metric.stream).sort(), [
      "logs",
      "quotes",
      "readings",
      "trades",
    ]);
    const rss = await promQuery(prom, 'process_resident_memory_bytes{job="tributary-hub"}');
    assert(Number(rss[0]?.value[1]) > 0, "hub RSS scraped");
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    await reading.catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    assertEquals(
      status.signal === "SIGTERM" || status.code === 0,
      true,
      `prometheus: ${stderr.slice(-2000)}`,
    );
  }
});
