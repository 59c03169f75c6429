/**
 * A real agent process with a syslog input: util-linux `logger` sends over
 * UDP and TCP, a junk datagram is rejected; `POST /query` and, once the agent
 * has stopped, the buffer file hold exactly the two rows, and `/metrics`
 * shows the rejection.
 *
 * This test found a bug: a query that ran while an append committed returned
 * garbled strings (see `AgentBuffer.query`, which now runs in the write queue).
 */
import dgram from "node:dgram";
import { join } from "node:path";
import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { AgentBuffer } from "../../buffer/mod.ts";
import { getFreePort } from "../../../tests/harness/free_port.ts";
import { getText, postJson } from "../../../tests/harness/http.ts";
import { startDenoProcess } from "../../../tests/harness/process.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";

async function logger(args: string[]): Promise<void> {
  const out = await new Deno.Command("logger", { args, stdout: "piped", stderr: "piped" }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test("syslog in a real agent: logger messages buffered, junk counted in /metrics", async () => {
  const dir = await Deno.makeTempDir({ prefix: "syslog-agent-" });
  const port = getFreePort();
  const config = join(dir, "agent.toml");
  await Deno.writeTextFile(
    config,
    `[agent]\nid = "syslog-agent"\ndata_dir = ${JSON.stringify(join(dir, "data"))}\n` +
      `[http]\nlisten = "127.0.0.1:0"\n` +
      // Nothing listens there: rows stay in the buffer to be counted.
      `[transport]\ntype = "mqtt"\n[transport.mqtt]\nurl = "mqtt://127.0.0.1:${getFreePort()}"\n` +
      `[[inputs]]\ntype = "syslog"\nid = "syslog-in"\n` +
      `udp_listen = "127.0.0.1:${port}"\ntcp_listen = "127.0.0.1:${port}"\nflush_ms = 20\n`,
  );
  await using agent = await startDenoProcess({
    script: "agent/main.ts",
    args: ["run", "--config", config],
    name: "agent",
    logDir: join(dir, "logs"),
  });
  const url = String(agent.ready.http);
  try {
    const base = ["-n", "127.0.0.1", "-P", `${port}`, "-t", "plc"];
    await logger([...base, "-d", "--rfc3164", "-p", "local0.err", "valve 3 stuck"]);
    await logger([...base, "-T", "--octet-count", "--rfc5424", "-p", "local0.info", "valve 3 ok"]);
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve, reject) =>
      socket.send(
        new Uint8Array([0, 1, 2, 0xff]),
        port,
        "127.0.0.1",
        (e) => e ? reject(e) : resolve(),
      )
    );
    await new Promise<void>((resolve) => socket.close(() => resolve()));

    const rows = await waitFor(async () => {
      const res = await postJson(`${url}/query`, {
        sql: "SELECT level, source, message FROM buffer_logs ORDER BY message",
      });
      const body = res.body as { rows: string[][] };
      return body.rows.length >= 2 ? body.rows : undefined;
    }, { timeoutMs: 15_000, message: "two syslog rows in the buffer" });
    assertEquals(rows, [["info", "plc", "valve 3 ok"], ["error", "plc", "valve 3 stuck"]]);
    const metrics = await waitFor(async () => {
      const page = (await getText(`${url}/metrics`)).body;
      return page.includes('reason="binary"') ? page : undefined;
    }, { message: "the rejection in /metrics" });
    assertMatch(
      metrics,
      /tributary_agent_input_rows_total\{input="syslog-in",type="syslog"\} 2\b/,
    );
    assertMatch(
      metrics,
      /tributary_agent_input_rejected_total\{input="syslog-in",type="syslog",reason="binary"\} 1\b/,
    );
    assertEquals((await agent.stop()).code, 0);
    const buffer = await AgentBuffer.open({
      path: join(dir, "data", "buffer.duckdb"),
      agent: "syslog-agent",
      readOnly: true,
    });
    try {
      const stored = await buffer.query(
        "SELECT level, source, message FROM buffer_logs ORDER BY message",
      );
      assertEquals(stored.rows, [["info", "plc", "valve 3 ok"], ["error", "plc", "valve 3 stuck"]]);
    } finally {
      await buffer.close();
    }
  } finally {
    await agent.stop().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
