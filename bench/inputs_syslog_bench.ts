/**
 * Syslog ingest into the agent's buffer: messages/s committed.
 *
 * A `syslog` input on loopback writes into a real DuckDB buffer file; one
 * TCP client sends RFC 5424 messages (octet-counted, ~150 bytes each, as
 * rsyslog forwards them) as fast as the input reads them. "per CPU-s"
 * divides by this process's CPU time (the sender included), a figure less
 * sensitive to other load on the machine than the wall-clock rate.
 *
 * Run: `deno run -A bench/inputs_syslog_bench.ts` (under a minute).
 *
 * @module
 */
import { join } from "node:path";
import { cpuUsage } from "node:process";
import { AgentBuffer } from "../agent/buffer/mod.ts";
import { syslog } from "../agent/inputs/syslog/mod.ts";
import { bufferContext } from "../agent/inputs/testing/buffer_context.ts";
import { machineSummary } from "./machine.ts";

const MESSAGES = 200_000;

function payload(count: number): Uint8Array {
  const encoder = new TextEncoder();
  const parts: string[] = [];
  const now = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    const msg = `<134>1 ${now} edge-7 nginx 4242 ACCESS [req@32473 id="${i}"] ` +
      `10.0.${i % 256}.${i % 200} "GET /api/v1/orders/${i} HTTP/1.1" 200 ${i % 9000}`;
    const bytes = encoder.encode(msg);
    parts.push(`${bytes.length} ${msg}`);
  }
  return encoder.encode(parts.join(""));
}

if (import.meta.main) {
  console.log(await machineSummary());
  const dir = await Deno.makeTempDir({ prefix: "tributary-syslog-bench-" });
  const buffer = await AgentBuffer.open({ path: join(dir, "buffer.duckdb"), agent: "bench" });
  const ctx = bufferContext(buffer, "syslog#0");
  const input = syslog.create(
    syslog.validate({ udp_listen: "", tcp_listen: "127.0.0.1:0", batch_rows: 5000 }, "bench"),
    ctx,
  );
  try {
    await input.start();
    const data = payload(MESSAGES);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: input.addresses().tcp!.port });
    const t0 = performance.now();
    const cpu0 = cpuUsage();
    // Deno's write may take part of the bytes: loop until all are sent.
    for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
    conn.close();
    const deadline = Date.now() + 100_000;
    while ((ctx.committed.get("logs") ?? 0) < MESSAGES) {
      if (Date.now() > deadline) throw new Error(`only ${ctx.committed.get("logs")} committed`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    console.log(
      `syslog TCP, RFC 5424 octet-counted: ${MESSAGES.toLocaleString("en")} messages, ` +
        `${(data.length / 1024 / 1024).toFixed(1)} MiB, ${
          Math.round(data.length / MESSAGES)
        } bytes each`,
    );
    console.log(
      `  ${Math.round(MESSAGES / seconds).toLocaleString("en")} messages/s ` +
        `(${(data.length / 1024 / 1024 / seconds).toFixed(1)} MiB/s) in ${seconds.toFixed(2)} s; ` +
        `${Math.round(MESSAGES / cpuSeconds).toLocaleString("en")} messages per CPU-s`,
    );
    if (ctx.rejections.size > 0) console.log("  rejected:", Object.fromEntries(ctx.rejections));
  } finally {
    await input.stop();
    await buffer.close();
    await Deno.remove(dir, { recursive: true });
  }
}
