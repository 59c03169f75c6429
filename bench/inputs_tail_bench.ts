/**
 * Tail throughput into the agent's buffer: MiB/s and lines/s committed.
 *
 * A `tail` input reads a prepared log file from its beginning into a real
 * DuckDB buffer file (each batch committed with its offset checkpoint, as in
 * the agent) until every line is in the buffer. Variants: one line per row,
 * multi-line joining (5 lines per record), larger reads per transaction, and
 * the line splitter alone (no buffer) for where the time goes.
 *
 * "lines per CPU-s" divides by the process's own CPU time (user + system,
 * DuckDB's threads included), a figure less sensitive to other load on the
 * machine than wall-clock rates.
 *
 * Run: `deno run -A bench/inputs_tail_bench.ts` (under a minute).
 *
 * @module
 */
import { join } from "node:path";
import { cpuUsage } from "node:process";
import { AgentBuffer } from "../agent/buffer/mod.ts";
import { LineSplitter } from "../agent/inputs/tail/lines.ts";
import { tail } from "../agent/inputs/tail/mod.ts";
import { bufferContext } from "../agent/inputs/testing/buffer_context.ts";
import { machineSummary } from "./machine.ts";

const LINES = 300_000;
const MiB = 1024 * 1024;

/** nginx-like access lines, ~130 bytes each; every 5th line starts a record. */
async function writeLog(path: string, lines: number): Promise<number> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let bytes = 0;
  try {
    for (let start = 0; start < lines; start += 10_000) {
      const out: string[] = [];
      for (let i = start; i < Math.min(lines, start + 10_000); i++) {
        out.push(
          i % 5 === 0
            ? `2024-05-01T12:00:${String(i % 60).padStart(2, "0")}.000Z INFO 10.0.${i % 256}.${
              i % 200
            } "GET /api/v1/orders/${i} HTTP/1.1" 200 ${i % 9000} 0.0${i % 10}`
            : `    at handler${i % 7} (/srv/app/routes/orders.js:${i % 400}:${
              i % 80
            }) request=${i}`,
        );
      }
      const chunk = encoder.encode(out.join("\n") + "\n");
      bytes += chunk.length;
      await file.write(chunk);
    }
  } finally {
    file.close();
  }
  return bytes;
}

async function runTail(
  name: string,
  logPath: string,
  bytes: number,
  options: Record<string, unknown>,
  expectedRows: number,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tributary-tail-bench-" });
  const buffer = await AgentBuffer.open({ path: join(dir, "buffer.duckdb"), agent: "bench" });
  const ctx = bufferContext(buffer, "tail#0");
  const input = tail.create(
    tail.validate({ paths: [logPath], start_at: "beginning", poll_ms: 5, ...options }, "bench"),
    ctx,
  );
  const t0 = performance.now();
  const cpu0 = cpuUsage();
  await input.start();
  while ((ctx.committed.get("logs") ?? 0) < expectedRows) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await input.stop();
  await buffer.close();
  await Deno.remove(dir, { recursive: true });
  console.log(
    `${name.padEnd(34)} ${(bytes / MiB / seconds).toFixed(1).padStart(6)} MiB/s  ` +
      `${Math.round(LINES / seconds).toLocaleString("en").padStart(9)} lines/s  ` +
      `${Math.round(expectedRows / seconds).toLocaleString("en").padStart(9)} rows/s  ` +
      `(${seconds.toFixed(2)} s; ${
        Math.round(LINES / cpuSeconds).toLocaleString("en")
      } lines per CPU-s)`,
  );
}

async function runSplitter(logPath: string, bytes: number): Promise<void> {
  const data = await Deno.readFile(logPath);
  const t0 = performance.now();
  const splitter = new LineSplitter(0, 65536);
  const decoder = new TextDecoder();
  let lines = 0;
  for (let at = 0; at < data.length; at += 1 * MiB) {
    for (const item of splitter.push(data.subarray(at, at + MiB))) {
      if (item.kind === "line") decoder.decode(item.bytes);
      lines++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${"split + decode only (no buffer)".padEnd(34)} ${
      (bytes / MiB / seconds).toFixed(1).padStart(6)
    } MiB/s  ${Math.round(lines / seconds).toLocaleString("en").padStart(9)} lines/s`,
  );
}

if (import.meta.main) {
  console.log(await machineSummary());
  const dir = await Deno.makeTempDir({ prefix: "tributary-tail-bench-log-" });
  try {
    const logPath = join(dir, "app.log");
    const bytes = await writeLog(logPath, LINES);
    console.log(
      `file: ${LINES.toLocaleString("en")} lines, ${(bytes / MiB).toFixed(1)} MiB ` +
        `(${
          Math.round(bytes / LINES)
        } bytes/line), read from the beginning into a DuckDB buffer file`,
    );
    await runSplitter(logPath, bytes);
    await runTail("tail, 1 line = 1 row (1 MiB/txn)", logPath, bytes, {}, LINES);
    await runTail("tail, 1 line = 1 row (4 MiB/txn)", logPath, bytes, {
      read_bytes: 4 * MiB,
    }, LINES);
    await runTail("tail, multi-line (5 lines/record)", logPath, bytes, {
      multiline_start: "^\\d{4}-",
    }, LINES / 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
