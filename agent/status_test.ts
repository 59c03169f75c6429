import { createLogger } from "@tributary/shared/log";
import { nowNs } from "@tributary/shared/records";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "@tributary/shared/testing/asserts";
import { type Agent, bufferPath, startAgent } from "./agent.ts";
import { AgentBuffer } from "./buffer/mod.ts";
import { parseConfig } from "./config.ts";
import { formatStatusTable, isAgentStatus, readStatus } from "./status.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function config(dir: string, port: number) {
  return parseConfig(
    `[agent]\nid = "edge-3"\ndata_dir = "${dir}"\n[http]\nlisten = "127.0.0.1:${port}"\n[transport.mqtt]\nurl = "mqtt://127.0.0.1:1"\n`,
  );
}

Deno.test("readStatus reads the buffer file read-only when no agent runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const c = config(dir, freePort());
    const buffer = await AgentBuffer.open({ path: bufferPath(c), agent: "edge-3" });
    const ts = nowNs();
    await buffer.append("logs", [{
      ts,
      recv_ts: ts,
      source: "app",
      level: "info",
      message: "m",
      fields: "{}",
    }]);
    await buffer.close();
    const { status, source } = await readStatus(c, { timeoutMs: 500 });
    assertEquals(source, { kind: "buffer", path: bufferPath(c) });
    assertEquals(status.streams.logs.backlog_rows, 1);
    assertEquals(status.streams.logs.next_seq, 2);
    assert(isAgentStatus(status));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readStatus asks the running agent over HTTP", async () => {
  const dir = await Deno.makeTempDir();
  let agent: Agent | undefined;
  try {
    const c = config(dir, freePort());
    agent = await startAgent(c, { log: createLogger({ sink: () => {} }) });
    const { status, source } = await readStatus(c);
    assertEquals(source.kind, "http");
    assertEquals(status.agent, "edge-3");
  } finally {
    await agent?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readStatus fails when there is neither an agent nor a buffer file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const port = freePort();
    await assertRejects(() => readStatus(config(`${dir}/none`, port)), Error, "cannot open buffer");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("formatStatusTable aligns one row per stream under a source line", () => {
  const s = {
    backlog_rows: 12,
    backlog_bytes: 3400,
    oldest_unsent_age_s: 2.25,
    next_seq: 13,
    acked_rows: 0,
    dropped: {},
  };
  const logs = { ...s, dropped: { max_age: 2, budget_evicted: 5 } };
  const text = formatStatusTable(
    { agent: "edge-3", streams: { readings: s, logs, trades: s, quotes: s } },
    { kind: "buffer", path: "/data/buffer.duckdb" },
  );
  const lines = text.split("\n");
  assertEquals(lines[0], "agent edge-3 (not running; read from /data/buffer.duckdb)");
  assertMatch(
    lines[1]!,
    /^stream\s+backlog_rows\s+backlog_bytes\s+oldest_unsent_age_s\s+next_seq\s+acked_rows\s+dropped$/,
  );
  assertMatch(lines[2]!, /^readings\s+12\s+3400\s+2\.3\s+13\s+0 {2}0$/);
  assertMatch(lines[3]!, /^logs\s+12\s+3400\s+2\.3\s+13\s+0 {2}7 \(budget_evicted=5 max_age=2\)$/);
  assertEquals(lines.length, 6);
  // Every column but the last (free text) lines up.
  const cut = lines[1]!.indexOf("dropped");
  assertEquals(new Set(lines.slice(1).map((l) => l.slice(0, cut).length)).size, 1);
});
