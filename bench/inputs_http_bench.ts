/**
 * Line-protocol ingest over HTTP into the agent's buffer: rows/s committed.
 *
 * An `http` input on loopback writes into a real DuckDB buffer file; clients
 * POST bodies of TSBS-devops-style `cpu` lines (10 tags, 10 integer fields:
 * the shape of `tsbs_generate_data --use-case=cpu-only --format=influx`, so
 * one line = 10 readings). Each request is answered after its rows are
 * committed, so rows/s is "in the buffer". Variants: plain and gzip bodies;
 * and the parser alone (no HTTP, no buffer) for where the time goes.
 *
 * Run: `deno run -A bench/inputs_http_bench.ts` (under a minute).
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { cpuUsage } from "node:process";
import { nowNs, type Reading } from "@tributary/shared/records";
import { AgentBuffer } from "../agent/buffer/mod.ts";
import { parseLineProtocolBody } from "../agent/inputs/http/body.ts";
import { httpInput } from "../agent/inputs/http/mod.ts";
import { skewCheck } from "../agent/inputs/processors/skew.ts";
import { bufferContext } from "../agent/inputs/testing/buffer_context.ts";
import { machineSummary } from "./machine.ts";

const LINES_PER_BODY = 2_000;
const BODIES = 30;
const CLIENTS = 2;
const FIELDS = 10;

/** A TSBS cpu-only body of `lines` lines for hosts `host_0..`, 10 s apart per host round. */
function tsbsCpuBody(seed: number, lines: number, startNs: bigint): string {
  const out: string[] = [];
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) % 100;
  for (let i = 0; i < lines; i++) {
    const host = i % 100;
    const ts = startNs + BigInt(Math.floor(i / 100)) * 10_000_000_000n;
    out.push(
      `cpu,hostname=host_${host},region=eu-west-1,datacenter=eu-west-1a,rack=${host % 100},` +
        `os=Ubuntu16.04LTS,arch=x64,team=NYC,service=${host % 20},service_version=1,` +
        `service_environment=production usage_user=${rand()}i,usage_system=${rand()}i,` +
        `usage_idle=${rand()}i,usage_nice=${rand()}i,usage_iowait=${rand()}i,usage_irq=${rand()}i,` +
        `usage_softirq=${rand()}i,usage_steal=${rand()}i,usage_guest=${rand()}i,` +
        `usage_guest_nice=${rand()}i ${ts}`,
    );
  }
  return out.join("\n") + "\n";
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function runHttp(gzip: boolean, bodies: Uint8Array<ArrayBuffer>[]) {
  const dir = await Deno.makeTempDir({ prefix: "tributary-http-bench-" });
  const buffer = await AgentBuffer.open({ path: join(dir, "buffer.duckdb"), agent: "bench" });
  const ctx = bufferContext(buffer, "http#0");
  const input = httpInput.create(
    httpInput.validate({ listen: "127.0.0.1:0", max_past_s: 0 }, "bench"),
    ctx,
  );
  await input.start();
  const payloads = gzip ? bodies.map((b) => new Uint8Array(gzipSync(b))) : bodies;
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (next < payloads.length) {
        const body = payloads[next++]!;
        const t0 = performance.now();
        const res = await fetch(`${input.url}/write`, {
          method: "POST",
          body,
          headers: gzip ? { "Content-Encoding": "gzip" } : {},
        });
        await res.body?.cancel();
        if (res.status !== 204) throw new Error(`status ${res.status}`);
        latencies.push(performance.now() - t0);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const rows = (await buffer.stats()).readings.backlog_rows;
    const wire = payloads.reduce((n, b) => n + b.length, 0);
    latencies.sort((a, b) => a - b);
    return {
      rows,
      lines: rows / FIELDS,
      seconds,
      wireMiB: wire / 1024 / 1024,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
    };
  } finally {
    await input.stop();
    await buffer.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** CPU seconds this process used (all threads, DuckDB's included) since `from`. */
function cpuSecondsSince(from: ReturnType<typeof cpuUsage>): number {
  const d = cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

function runParseOnly(bodies: Uint8Array[]) {
  const skew = skewCheck({ max_future_s: 0, max_past_s: 0 });
  const started = performance.now();
  let rows = 0;
  for (const body of bodies) {
    rows += parseLineProtocolBody(body, {
      maxLineBytes: 65_536,
      precisionNs: 1n,
      recvTs: nowNs(),
      skew,
    }).readings.length;
  }
  return { rows, seconds: (performance.now() - started) / 1000 };
}

/** The buffer alone: the parsed readings of every body appended, one body per transaction. */
async function runAppendOnly(parsed: Reading[][]) {
  const dir = await Deno.makeTempDir({ prefix: "tributary-http-bench-" });
  const buffer = await AgentBuffer.open({ path: join(dir, "buffer.duckdb"), agent: "bench" });
  try {
    const started = performance.now();
    for (const rows of parsed) await buffer.append("readings", rows);
    const seconds = (performance.now() - started) / 1000;
    return { rows: parsed.reduce((n, r) => n + r.length, 0), seconds };
  } finally {
    await buffer.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

if (import.meta.main) {
  console.log(await machineSummary());
  const start = nowNs() - 3_600_000_000_000n;
  const bodies = Array.from(
    { length: BODIES },
    (_, i) => new TextEncoder().encode(tsbsCpuBody(i + 1, LINES_PER_BODY, start)),
  );
  const rawMiB = bodies.reduce((n, b) => n + b.length, 0) / 1024 / 1024;
  console.log(
    `workload: ${BODIES} bodies × ${LINES_PER_BODY} TSBS cpu lines (${FIELDS} fields each), ` +
      `${
        rawMiB.toFixed(1)
      } MiB of line protocol, ${CLIENTS} concurrent clients, real DuckDB buffer file`,
  );
  let cpu = cpuUsage();
  const parse = runParseOnly(bodies);
  console.log(
    `parse only (no HTTP, no buffer): ${fmt(parse.rows / parse.seconds)} readings/s, ` +
      `${fmt(parse.rows / FIELDS / parse.seconds)} lines/s, ${
        (rawMiB / parse.seconds).toFixed(1)
      } MiB/s; ${fmt(parse.rows / cpuSecondsSince(cpu))} readings per CPU-second`,
  );
  const skew = skewCheck({ max_future_s: 0, max_past_s: 0 });
  const parsed = bodies.map((body) =>
    parseLineProtocolBody(body, { maxLineBytes: 65_536, precisionNs: 1n, recvTs: nowNs(), skew })
      .readings
  );
  cpu = cpuUsage();
  const append = await runAppendOnly(parsed);
  console.log(
    `buffer.append only (parsed rows, ${LINES_PER_BODY * FIELDS} per transaction): ` +
      `${fmt(append.rows / append.seconds)} readings/s; ${
        fmt(append.rows / cpuSecondsSince(cpu))
      } readings per CPU-second`,
  );
  for (const gzip of [false, true]) {
    cpu = cpuUsage();
    const r = await runHttp(gzip, bodies);
    const cpuS = cpuSecondsSince(cpu);
    console.log(
      `HTTP ${gzip ? "gzip " : "plain"} → buffer: ${fmt(r.rows / r.seconds)} readings/s, ` +
        `${fmt(r.lines / r.seconds)} lines/s, ${
          (rawMiB / r.seconds).toFixed(1)
        } MiB/s of line protocol ` +
        `(${r.wireMiB.toFixed(1)} MiB on the wire), request p50 ${r.p50.toFixed(0)} ms / p99 ${
          r.p99.toFixed(0)
        } ms, ${fmt(r.rows)} rows committed in ${r.seconds.toFixed(1)} s; ${
          fmt(r.rows / cpuS)
        } readings per CPU-second (server and clients share this process)`,
    );
  }
  const rss = Deno.memoryUsage().rss / 1024 / 1024;
  console.log(`process RSS at end: ${rss.toFixed(0)} MiB`);
}
