/**
 * A real agent process tails a growing, rotating log file and is SIGKILLed
 * several times, then restarted on the same buffer. Because each file's
 * offset is committed in the same DuckDB transaction as its rows, every line
 * must be in the buffer exactly once at the end. No broker listens at the
 * transport URL, so nothing leaves the buffer and it can be counted there.
 */
import { join } from "node:path";
import { createRandom } from "@tributary/shared/prng";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { getFreePort } from "../../../tests/harness/free_port.ts";
import { postJson } from "../../../tests/harness/http.ts";
import { type DenoProcess, startDenoProcess } from "../../../tests/harness/process.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";

const TOTAL_LINES = 30_000;
const KILLS = 5;

const line = (i: number) => `2024-05-01T00:00:00.000Z INFO request id=${i} path=/api/v1/items`;

async function bufferedLines(agentUrl: string): Promise<{ rows: number; distinct: number }> {
  const res = await postJson(`${agentUrl}/query`, {
    sql: "SELECT count(*)::INTEGER, count(DISTINCT message)::INTEGER FROM buffer_logs",
  });
  const body = res.body as { rows: [number, number][] };
  const [rows, distinct] = body.rows[0]!;
  return { rows, distinct };
}

Deno.test("tail in a SIGKILLed agent: every line exactly once in the buffer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tail-crash-" });
  const logPath = join(dir, "app.log");
  await Deno.writeTextFile(logPath, "");
  const configPath = join(dir, "agent.toml");
  await Deno.writeTextFile(
    configPath,
    `[agent]\nid = "tail-crash"\ndata_dir = ${JSON.stringify(join(dir, "data"))}\n` +
      `[http]\nlisten = "127.0.0.1:0"\n` +
      // Nothing listens there: rows stay in the buffer to be counted.
      `[transport]\ntype = "mqtt"\n[transport.mqtt]\nurl = "mqtt://127.0.0.1:${getFreePort()}"\n` +
      `[[inputs]]\ntype = "tail"\nid = "app-log"\npaths = [${JSON.stringify(logPath)}]\n` +
      `start_at = "beginning"\npoll_ms = 20\nrotate_wait_ms = 200\nread_bytes = 65536\n`,
  );
  const start = (n: number) =>
    startDenoProcess({
      script: "agent/main.ts",
      args: ["run", "--config", configPath],
      name: `agent-${n}`,
      logDir: join(dir, "logs"),
    });
  const random = createRandom(7);
  const encoder = new TextEncoder();
  let agent: DenoProcess | undefined;
  let writer: Deno.FsFile | undefined;
  try {
    agent = await start(0);
    writer = await Deno.open(logPath, { append: true });
    let next = 0;
    let behindAtKill = 0;
    const writeLines = async (count: number) => {
      if (count <= 0) return;
      const text = Array.from({ length: count }, () => line(next++)).join("\n") + "\n";
      await writer!.write(encoder.encode(text));
    };
    for (let k = 1; k <= KILLS; k++) {
      // Write while the agent reads, kill it mid-way, write more while it is down.
      const deadline = Date.now() + random.int(200, 800);
      while (Date.now() < deadline && next < TOTAL_LINES) {
        await writeLines(100);
        await new Promise((r) => setTimeout(r, 10));
      }
      if (k === 3) {
        // A rotation by rename, with lines written to the old file after it.
        await Deno.rename(logPath, `${logPath}.1`);
        await writeLines(300);
        writer.close();
        writer = await Deno.open(logPath, { append: true, create: true });
      }
      // Most kills must hit an agent that still has lines to read: a burst of
      // ~140 KB (over two of its 64 KiB reads) lands just before the count and
      // the kill. Without it the agent had often caught up by then, as the count
      // waits for the append under way (operator queries run between writes).
      await writeLines(2000);
      const seen = await bufferedLines(String(agent.ready.http));
      if (seen.rows < next) behindAtKill++;
      const exit = await agent.kill();
      assertEquals(exit.signal, "SIGKILL");
      await writeLines(500);
      agent = await start(k);
    }
    await writeLines(TOTAL_LINES - next);
    const total = next; // at least TOTAL_LINES
    const url = String(agent.ready.http);
    const counts = await waitFor(async () => {
      const c = await bufferedLines(url);
      return c.rows >= total ? c : undefined;
    }, { timeoutMs: 40_000, intervalMs: 250, message: `${total} lines buffered` });
    await new Promise((r) => setTimeout(r, 500)); // a repeat would show up meanwhile
    const final = await bufferedLines(url);
    console.log(
      `  ${KILLS} SIGKILLs (${behindAtKill} with lines unread), ${total} lines written: buffered ${final.rows}, distinct ${final.distinct}`,
    );
    assertEquals(counts.rows, total);
    assert(behindAtKill >= KILLS - 2, `kills while lines were unread: ${behindAtKill}`);
    assertEquals(final, { rows: total, distinct: total });
    const exit = await agent.stop();
    agent = undefined;
    assertEquals(exit.code, 0);
  } finally {
    writer?.close();
    if (agent) await agent.stop().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
