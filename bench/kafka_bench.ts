/**
 * The Kafka path of the end-to-end bench, next to MQTT in the same run with
 * the same rows: agent → (Mosquitto | single-node KRaft Kafka) → hub, real
 * processes on loopback, hub end-to-end acks, zstd bodies. Figures per
 * transport: end-to-end rows/s, wire MiB/s, p50/p99 latency (agent receipt →
 * hub commit) under full load and at a paced rate, agent peak RSS.
 *
 * One Kafka broker serves every Kafka run of the section (a fresh topic
 * prefix and consumer group per run); each MQTT run gets a fresh Mosquitto.
 * Scenarios are interleaved run by run so machine drift hits both alike.
 *
 * Usage: `deno run -A bench/kafka_bench.ts [--rows N] [--runs N] [--paced-rate N]`,
 * or `deno task bench -- --only kafka`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { startKafka } from "../tests/harness/kafka.ts";
import { startMosquitto } from "../tests/harness/mosquitto.ts";
import { startDenoProcess } from "../tests/harness/process.ts";
import { machineSummary } from "./machine.ts";
import { type HubFigures, readHubFigures, waitForRows } from "./hub_figures.ts";
import { type RssSampler, startRssSampler } from "./rss.ts";

/** Options of {@linkcode kafkaSection}. */
export interface KafkaSectionOptions {
  /** Rows per kind of each throughput run. */
  rows: number;
  /** Runs per scenario; medians are printed. */
  runs: number;
  /** Rows/s per kind of the latency scenario (10 s). */
  pacedRate: number;
}

/** The figures of one run. */
export interface KafkaBenchFigures extends HubFigures {
  scenario: string;
  transport: "mqtt" | "kafka";
  agentPeakRssMiB: number;
}

interface Scenario {
  name: string;
  transport: "mqtt" | "kafka";
  rate: number;
  rows: number;
}

/** Where the agent and hub of a run connect. */
type Endpoint = { transport: "mqtt"; url: string } | {
  transport: "kafka";
  bootstrap: string;
  prefix: string;
};

async function runOnce(
  scenario: Scenario,
  endpoint: Endpoint,
  workDir: string,
): Promise<KafkaBenchFigures> {
  const hubConfig = join(workDir, "hub.toml");
  const agentConfig = join(workDir, "agent.toml");
  const ingress = endpoint.transport === "mqtt"
    ? `[mqtt]\nurl = ${JSON.stringify(endpoint.url)}\n`
    : `[broker]\nlisten = "127.0.0.1:0"\n[kafka]\nbrokers = [${
      JSON.stringify(endpoint.bootstrap)
    }]\n` +
      `topic_prefix = "${endpoint.prefix}"\ngroup_id = "${endpoint.prefix}-hub"\npartitions = 4\n`;
  await Deno.writeTextFile(
    hubConfig,
    `[hub]\ndata_dir = ${JSON.stringify(join(workDir, "hub"))}\nlog_level = "warn"\n` +
      `[http]\nlisten = "127.0.0.1:0"\n` + ingress,
  );
  const transport = endpoint.transport === "mqtt"
    ? `[transport]\ntype = "mqtt"\n[transport.mqtt]\nurl = ${JSON.stringify(endpoint.url)}\n`
    : `[transport]\ntype = "kafka"\n[transport.kafka]\nbrokers = [${
      JSON.stringify(endpoint.bootstrap)
    }]\ntopic_prefix = "${endpoint.prefix}"\n`;
  const { rows, rate } = scenario;
  await Deno.writeTextFile(
    agentConfig,
    `[agent]\nid = "bench-1"\ndata_dir = ${
      JSON.stringify(join(workDir, "agent"))
    }\nlog_level = "warn"\n` +
      `[http]\nlisten = "127.0.0.1:0"\n[shipper]\ncodec = "zstd"\n` + transport +
      `[[inputs]]\ntype = "sim_sensors"\nrate = ${rate}\nlimit = ${rows}\nseed = 1\n` +
      `[[inputs]]\ntype = "sim_logs"\nrate = ${rate}\nlimit = ${rows}\nseed = 2\n` +
      `[[inputs]]\ntype = "sim_market"\nrate = ${rate}\nlimit = ${rows}\nseed = 3\n`,
  );
  const hub = await startDenoProcess({
    name: "hub",
    script: "hub/main.ts",
    args: ["run", "--config", hubConfig],
    readyTimeoutMs: 60_000,
  });
  let agent: Awaited<ReturnType<typeof startDenoProcess>> | undefined;
  let sampler: RssSampler | undefined;
  try {
    agent = await startDenoProcess({
      name: "agent",
      script: "agent/main.ts",
      args: ["run", "--config", agentConfig],
    });
    sampler = startRssSampler(agent.pid);
    const hubUrl = String(hub.ready.http);
    await waitForRows(hubUrl, rows, 600_000);
    const figures = await readHubFigures(hubUrl);
    return {
      scenario: scenario.name,
      transport: scenario.transport,
      ...figures,
      agentPeakRssMiB: sampler.stop().peakMiB,
    };
  } finally {
    sampler?.stop();
    await agent?.stop("SIGTERM", 20_000);
    await hub.stop("SIGTERM", 20_000);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function formatRow(label: string, values: number[], digits: number): string {
  const m = median(values).toFixed(digits);
  const lo = Math.min(...values).toFixed(digits);
  const hi = Math.max(...values).toFixed(digits);
  return `  ${label.padEnd(34)} ${m.padStart(12)}   (min ${lo}, max ${hi})`;
}

/**
 * Runs the MQTT-vs-Kafka section and prints per-run lines and medians.
 *
 * @returns every run's figures.
 */
export async function kafkaSection(options: KafkaSectionOptions): Promise<KafkaBenchFigures[]> {
  const { rows, runs, pacedRate } = options;
  const scenarios: Scenario[] = [
    { name: "throughput/mqtt", transport: "mqtt", rate: 50_000, rows },
    { name: "throughput/kafka", transport: "kafka", rate: 50_000, rows },
    { name: "latency/mqtt", transport: "mqtt", rate: pacedRate, rows: Math.round(pacedRate * 10) },
    {
      name: "latency/kafka",
      transport: "kafka",
      rate: pacedRate,
      rows: Math.round(pacedRate * 10),
    },
  ];
  console.log(`\n## MQTT vs Kafka (same rows, hub end-to-end ack, zstd)`);
  const startedAt = performance.now();
  await using kafka = await startKafka({ numPartitions: 4 });
  console.log(
    `kafka broker (KRaft, single node) up in ${
      Math.round(performance.now() - startedAt)
    } ms; runs per scenario: ${runs}`,
  );
  const all: KafkaBenchFigures[] = [];
  let prefixCount = 0;
  for (let run = 1; run <= runs; run++) {
    for (const scenario of scenarios) {
      const workDir = await Deno.makeTempDir({ prefix: "tributary-kafka-bench-" });
      const mosquitto = scenario.transport === "mqtt" ? await startMosquitto() : undefined;
      try {
        const endpoint: Endpoint = mosquitto
          ? { transport: "mqtt", url: mosquitto.url }
          : { transport: "kafka", bootstrap: kafka.bootstrap, prefix: `bench${++prefixCount}` };
        const figures = await runOnce(scenario, endpoint, workDir);
        all.push(figures);
        console.log(
          `run ${run} ${scenario.name}: ${Math.round(figures.rowsPerSecond)} rows/s, ` +
            `p50 ${figures.latencyP50Ms.toFixed(0)} ms, p99 ${
              figures.latencyP99Ms.toFixed(0)
            } ms, ` +
            `agent peak RSS ${figures.agentPeakRssMiB.toFixed(0)} MiB`,
        );
      } finally {
        await mosquitto?.stop();
        await Deno.remove(workDir, { recursive: true });
      }
    }
  }
  console.log(`\n### Medians over ${runs} run(s)`);
  for (const scenario of scenarios) {
    const mine = all.filter((f) => f.scenario === scenario.name);
    console.log(`${scenario.name} (${scenario.rows} rows per kind at ${scenario.rate} rows/s):`);
    console.log(formatRow("end-to-end rows/s", mine.map((f) => f.rowsPerSecond), 0));
    console.log(formatRow("wire MiB/s", mine.map((f) => f.wireMiBPerSecond), 2));
    console.log(formatRow("latency p50 ms (recv → commit)", mine.map((f) => f.latencyP50Ms), 1));
    console.log(formatRow("latency p99 ms (recv → commit)", mine.map((f) => f.latencyP99Ms), 1));
    console.log(formatRow("agent peak RSS MiB", mine.map((f) => f.agentPeakRssMiB), 1));
  }
  return all;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
    options: {
      rows: { type: "string", default: "50000" },
      runs: { type: "string", default: "1" },
      "paced-rate": { type: "string", default: "2000" },
    },
  });
  const rows = Number(values.rows);
  const runs = Number(values.runs);
  const pacedRate = Number(values["paced-rate"]);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows: got ${values.rows}`);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: got ${values.runs}`);
  if (!(pacedRate > 0)) throw new Error(`--paced-rate: got ${values["paced-rate"]}`);
  console.log(`# Tributary bench: MQTT vs Kafka`);
  console.log(await machineSummary());
  await kafkaSection({ rows, runs, pacedRate });
}
