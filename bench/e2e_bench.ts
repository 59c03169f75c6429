/**
 * `deno task bench`: agent → Mosquitto → hub on this machine, real processes,
 * a fixed number of rows per kind, and the figures a user would quote:
 * end-to-end rows/s, bytes/row on the wire, p50/p99 latency from agent
 * receipt to hub commit, and the agent's RSS.
 *
 * Runs each configuration `--runs` times and prints the median of each figure
 * with the spread, since these machines are shared and noisy.
 *
 * Then MQTT vs Kafka (bench/kafka_bench.ts), the inputs into the buffer
 * (bench/inputs_section.ts) and the drain section (bench/drain_bench.ts): a
 * `--drain-mib` backlog (default 1 GiB) drained from the agent's buffer once
 * its link comes up.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { startMosquitto } from "../tests/harness/mosquitto.ts";
import { startDenoProcess } from "../tests/harness/process.ts";
import { machineSummary } from "./machine.ts";
import { type HubFigures, readHubFigures, waitForRows } from "./hub_figures.ts";
import { type RssSampler, startRssSampler } from "./rss.ts";
import { drainSection, parseDrainMiB, parseVariants } from "./drain_bench.ts";
import { kafkaSection } from "./kafka_bench.ts";
import { inputsSection } from "./inputs_section.ts";

const HELP = `deno task bench [-- OPTIONS]

End-to-end benchmark: agent (simulated sensors, logs, trades, quotes) → real
Mosquitto → hub, as separate processes on loopback. Scenarios: throughput/<codec>
(hub end-to-end ack), throughput/zstd-broker-ack (the same, confirmed by the
broker's PUBACK), latency/zstd.

Options:
  --rows N        rows per kind per throughput run (default 100000; trades and quotes each get N)
  --runs N        runs per scenario; medians are reported (default 3)
  --codecs LIST   wire codecs to compare in the same run, comma-separated (default zstd,gzip)
  --paced-rate N  rows/s per kind of the latency scenario, which lasts 10 s (default 2000)
  --json FILE    also write all figures as JSON to FILE
  --drain-mib N   backlog of the drain section, MiB of DuckDB file (default 1024; 0 skips it)
  --drain-runs N  drain runs per variant (default 1)
  --drain-variants LIST  agent settings to drain with, comma-separated, interleaved
                  (default "default,deployed"; see DRAIN_VARIANTS in bench/drain_bench.ts)
  --hub-variants LIST  hub settings to compare, comma-separated, interleaved (default
                  "default"; others: no-rollups, no-tier, no-rollups-no-tier; see HUB_VARIANTS)
  --cpu-prof DIR  run the hub and agent under \`deno run --cpu-prof\`, profiles written to DIR
  --only WHAT     run only "e2e", only "drain", only "kafka" (MQTT vs Kafka, bench/kafka_bench.ts)
                  or only "inputs" (http, tail, syslog, polygon into the buffer, bench/inputs_*.ts)
  -h, --help     this text

Then the drain section (bench/drain_bench.ts): a backlog of --drain-mib MiB
prefilled into the agent's buffer file, drained to the hub once the agent's
link comes up: rows/s, MiB/s, time to empty, agent idle and peak RSS.
`;

/**
 * Hub settings to A/B in one invocation (`--hub-variants`): TOML appended to
 * the hub's config, to attribute what each feature costs end to end.
 */
export const HUB_VARIANTS: Readonly<Record<string, string>> = {
  default: "",
  "no-rollups": "[rollups]\nenabled = false\n",
  "no-tier": "[tier]\nenabled = false\n",
  "no-rollups-no-tier": "[rollups]\nenabled = false\n[tier]\nenabled = false\n",
};

interface RunFigures extends HubFigures {
  scenario: string;
  hubVariant: string;
  codec: string;
  agentPeakRssMiB: number;
  agentIdleRssMiB: number;
}

/** One benchmark setting: how fast the simulators generate, and with which codec. */
interface Scenario {
  name: string;
  codec: string;
  /** Rows per second per kind the simulators generate. */
  rate: number;
  rows: number;
  /** `[transport.mqtt] ack`: the hub's end-to-end ack (default) or the broker's PUBACK. */
  ack?: "hub" | "broker";
  /** Key of {@linkcode HUB_VARIANTS}. @default "default" */
  hubVariant?: string;
}

/** Options of one run that are not part of the scenario. */
interface RunOptions {
  /** Folder for `--cpu-prof` profiles of hub and agent; no profiling when undefined. */
  cpuProfDir?: string;
}

async function runOnce(
  scenario: Scenario,
  workDir: string,
  options: RunOptions = {},
): Promise<RunFigures> {
  const { codec, rows, rate } = scenario;
  const ack = scenario.ack ?? "hub";
  const broker = await startMosquitto();
  const hubDir = join(workDir, "hub");
  const agentDir = join(workDir, "agent");
  await Deno.mkdir(hubDir, { recursive: true });
  await Deno.mkdir(agentDir, { recursive: true });
  const hubConfig = join(workDir, "hub.toml");
  await Deno.writeTextFile(
    hubConfig,
    `[hub]\ndata_dir = ${JSON.stringify(hubDir)}\nlog_level = "warn"\n` +
      `[http]\nlisten = "127.0.0.1:0"\n[mqtt]\nurl = ${JSON.stringify(broker.url)}\n` +
      HUB_VARIANTS[scenario.hubVariant ?? "default"],
  );
  const profFlags = (who: string) =>
    options.cpuProfDir === undefined ? undefined : [
      "-A",
      "--cpu-prof",
      `--cpu-prof-dir=${options.cpuProfDir}`,
      `--cpu-prof-name=${who}-${scenario.name.replace("/", "-")}-${
        scenario.hubVariant ?? "default"
      }-${Date.now()}.cpuprofile`,
    ];
  const hub = await startDenoProcess({
    name: "hub",
    script: "hub/main.ts",
    args: ["run", "--config", hubConfig],
    denoFlags: profFlags("hub"),
  });
  let agent: Awaited<ReturnType<typeof startDenoProcess>> | undefined;
  let sampler: RssSampler | undefined;
  try {
    const agentConfig = join(workDir, "agent.toml");
    await Deno.writeTextFile(
      agentConfig,
      `[agent]\nid = "bench-1"\ndata_dir = ${JSON.stringify(agentDir)}\nlog_level = "warn"\n` +
        `[http]\nlisten = "127.0.0.1:0"\n` +
        `[shipper]\ncodec = "${codec}"\n` +
        `[transport]\ntype = "mqtt"\n[transport.mqtt]\nurl = ${JSON.stringify(broker.url)}\n` +
        `ack = "${ack}"\n` +
        `[[inputs]]\ntype = "sim_sensors"\nrate = ${rate}\nlimit = ${rows}\nseed = 1\n` +
        `[[inputs]]\ntype = "sim_logs"\nrate = ${rate}\nlimit = ${rows}\nseed = 2\n` +
        `[[inputs]]\ntype = "sim_market"\nrate = ${rate}\nlimit = ${rows}\nseed = 3\n`,
    );
    agent = await startDenoProcess({
      name: "agent",
      script: "agent/main.ts",
      args: ["run", "--config", agentConfig],
      denoFlags: profFlags("agent"),
    });
    sampler = startRssSampler(agent.pid);
    const hubUrl = String(hub.ready.http);
    await waitForRows(hubUrl, rows, 600_000);
    const figures = await readHubFigures(hubUrl);
    const rss = sampler.stop();
    return {
      scenario: scenario.name,
      hubVariant: scenario.hubVariant ?? "default",
      codec,
      ...figures,
      agentPeakRssMiB: rss.peakMiB,
      agentIdleRssMiB: rss.firstMiB,
    };
  } finally {
    sampler?.stop();
    await agent?.stop("SIGTERM", 20_000);
    await hub.stop("SIGTERM", 20_000);
    await broker.stop();
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

async function main(): Promise<number> {
  const { values } = parseArgs({
    // `deno task bench -- --rows N` passes the `--` through; accept both spellings.
    args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
    options: {
      rows: { type: "string", default: "100000" },
      runs: { type: "string", default: "3" },
      codecs: { type: "string", default: "zstd,gzip" },
      "paced-rate": { type: "string", default: "2000" },
      json: { type: "string" },
      "drain-mib": { type: "string", default: "1024" },
      "drain-runs": { type: "string", default: "1" },
      "drain-variants": { type: "string", default: "default,deployed" },
      only: { type: "string" },
      "hub-variants": { type: "string", default: "default" },
      "cpu-prof": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const rows = Number(values.rows);
  const runs = Number(values.runs);
  if (!Number.isInteger(rows) || rows < 1) {
    throw new Error(`--rows: got ${values.rows}, expected an integer >= 1`);
  }
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`--runs: got ${values.runs}, expected an integer >= 1`);
  }
  const codecs = values.codecs.split(",").map((c) => c.trim()).filter(Boolean);
  for (const codec of codecs) {
    if (!["zstd", "gzip", "none"].includes(codec)) {
      throw new Error(`--codecs: got ${JSON.stringify(codec)}, expected zstd, gzip or none`);
    }
  }

  const drainMiB = parseDrainMiB(values["drain-mib"]);
  const drainRuns = Number(values["drain-runs"]);
  if (!Number.isInteger(drainRuns) || drainRuns < 1) {
    throw new Error(`--drain-runs: got ${values["drain-runs"]}, expected an integer >= 1`);
  }
  const drainVariants = parseVariants(values["drain-variants"]);
  const only = values.only;
  const sections = ["e2e", "drain", "kafka", "inputs"];
  if (only !== undefined && !sections.includes(only)) {
    throw new Error(
      `--only: got ${JSON.stringify(only)}, expected one of ${sections.map((s) => `"${s}"`)}`,
    );
  }

  const paced = Number(values["paced-rate"]);
  if (!Number.isFinite(paced) || paced <= 0) {
    throw new Error(`--paced-rate: got ${values["paced-rate"]}, expected a number > 0`);
  }
  // Throughput: the simulators generate faster than the pipeline carries, so
  // the figure is the pipeline's, and latency there is mostly queueing in
  // the buffer. Latency: a steady rate well below capacity, for ~10 s.
  const hubVariants = values["hub-variants"].split(",").map((v) => v.trim()).filter(Boolean);
  for (const v of hubVariants) {
    if (!(v in HUB_VARIANTS)) {
      throw new Error(
        `--hub-variants: got ${JSON.stringify(v)}, expected one of ${
          Object.keys(HUB_VARIANTS).join(", ")
        }`,
      );
    }
  }
  const cpuProfDir = values["cpu-prof"];
  if (cpuProfDir !== undefined) await Deno.mkdir(cpuProfDir, { recursive: true });
  const baseScenarios: Scenario[] = [
    ...codecs.map((codec) => ({ name: `throughput/${codec}`, codec, rate: 50_000, rows })),
    // The same as throughput/zstd but confirmed by the broker's PUBACK instead of the hub's
    // end-to-end ack: what end-to-end acknowledgement costs, measured in the same run.
    { name: "throughput/zstd-broker-ack", codec: "zstd", rate: 50_000, rows, ack: "broker" },
    { name: "latency/zstd", codec: "zstd", rate: paced, rows: Math.round(paced * 10) },
  ];
  // Each scenario once per hub variant; a non-default variant is named in the scenario.
  const scenarios: Scenario[] = baseScenarios.flatMap((s) =>
    hubVariants.map((hubVariant) => ({
      ...s,
      hubVariant,
      name: hubVariant === "default" ? s.name : `${s.name}+${hubVariant}`,
    }))
  );

  console.log(`# Tributary end-to-end bench: agent → Mosquitto → hub`);
  console.log(await machineSummary());
  const drain = only === "e2e" || drainMiB === 0 ? [] : undefined;
  if (only === "drain") {
    const figures = await drainSection({ mib: drainMiB, runs: drainRuns, variants: drainVariants });
    if (values.json) {
      await Deno.writeTextFile(values.json, JSON.stringify({ drain: figures }, null, 2));
    }
    return 0;
  }
  if (only === "inputs") return (await inputsSection()).length === 0 ? 0 : 1;
  if (only === "kafka") {
    const figures = await kafkaSection({ rows, runs, pacedRate: paced });
    if (values.json) {
      await Deno.writeTextFile(values.json, JSON.stringify({ kafka: figures }, null, 2));
    }
    return 0;
  }
  console.log(`runs per scenario: ${runs}; all processes on this machine, loopback only`);
  for (const s of scenarios) {
    console.log(
      `  ${
        s.name.padEnd(18)
      } ${s.rows} rows per kind (x4 kinds), generated at ${s.rate} rows/s per kind`,
    );
  }
  const all: RunFigures[] = [];
  // Interleave scenarios run by run so drift in machine load hits all alike.
  for (let run = 1; run <= runs; run++) {
    for (const scenario of scenarios) {
      const workDir = await Deno.makeTempDir({ prefix: "tributary-bench-" });
      try {
        const figures = await runOnce(scenario, workDir, { cpuProfDir });
        all.push(figures);
        console.log(
          `run ${run} ${scenario.name}: ${Math.round(figures.rowsPerSecond)} rows/s, ` +
            `${figures.wireBytesPerRow.toFixed(2)} B/row, ` +
            `p50 ${figures.latencyP50Ms.toFixed(0)} ms, p99 ${
              figures.latencyP99Ms.toFixed(0)
            } ms, ` +
            `agent peak RSS ${figures.agentPeakRssMiB.toFixed(0)} MiB`,
        );
      } finally {
        await Deno.remove(workDir, { recursive: true });
      }
    }
  }
  console.log(`\n## Medians over ${runs} run(s)`);
  for (const scenario of scenarios) {
    const mine = all.filter((f) => f.scenario === scenario.name);
    console.log(`${scenario.name}:`);
    console.log(formatRow("end-to-end rows/s", mine.map((f) => f.rowsPerSecond), 0));
    console.log(formatRow("wire MiB/s", mine.map((f) => f.wireMiBPerSecond), 2));
    console.log(formatRow("wire bytes/row (all kinds)", mine.map((f) => f.wireBytesPerRow), 2));
    for (const kind of ["readings", "logs", "trades", "quotes"] as const) {
      console.log(
        formatRow(`  bytes/row ${kind}`, mine.map((f) => f.bytesPerRowByKind[kind] ?? 0), 2),
      );
    }
    console.log(formatRow("latency p50 ms (recv → commit)", mine.map((f) => f.latencyP50Ms), 1));
    console.log(formatRow("latency p99 ms (recv → commit)", mine.map((f) => f.latencyP99Ms), 1));
    console.log(formatRow("agent RSS at start MiB", mine.map((f) => f.agentIdleRssMiB), 1));
    console.log(formatRow("agent peak RSS MiB", mine.map((f) => f.agentPeakRssMiB), 1));
  }
  // MQTT vs Kafka, same rows (bench/kafka_bench.ts); skipped with --only e2e.
  const kafkaFigures = only === "e2e" ? [] : await kafkaSection({ rows, runs, pacedRate: paced });
  // The inputs into the buffer (bench/inputs_*.ts); skipped with --only e2e.
  const inputsFailed = only === "e2e" ? [] : await inputsSection();
  const drainFigures = drain ??
    await drainSection({ mib: drainMiB, runs: drainRuns, variants: drainVariants });
  if (values.json) {
    await Deno.writeTextFile(
      values.json,
      JSON.stringify({ e2e: all, kafka: kafkaFigures, drain: drainFigures }, null, 2),
    );
  }
  if (inputsFailed.length > 0) {
    console.error(`input benches failed: ${inputsFailed.join(", ")}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) {
  main().then((code) => Deno.exit(code), (error) => {
    console.error(`bench failed: ${error instanceof Error ? error.stack : error}`);
    Deno.exit(1);
  });
}
