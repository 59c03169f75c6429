/**
 * `deno task demo` as a user runs it: it starts, prints the hub URL, the hub
 * serves /healthz and holds rows of all four kinds within 5 seconds, and
 * Ctrl-C (SIGINT) stops everything with exit code 0 and no leftover process.
 */
import { join } from "node:path";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { REPO_ROOT } from "../harness/process.ts";
import { waitFor } from "../harness/wait_for.ts";
import { tableCounts } from "../harness/hub_client.ts";

/** Pids of processes whose command line mentions `needle`. */
async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (cmdline.includes(needle)) pids.push(Number(entry.name));
  }
  return pids;
}

Deno.test("demo starts hub and agent, fills all four tables within 5 s, and stops cleanly on SIGINT", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tributary-demo-" });
  const demo = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(REPO_ROOT, "tools/demo.ts"),
      "--data-dir",
      dataDir,
      "--port",
      "0",
      "--quiet",
    ],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const stdoutDone = (async () => {
    for await (const chunk of demo.stdout) output += decoder.decode(chunk, { stream: true });
  })();
  const stderrDone = (async () => {
    for await (const chunk of demo.stderr) output += decoder.decode(chunk, { stream: true });
  })();
  try {
    await waitFor(() => /hub HTTP API\s+http:\/\/127\.0\.0\.1:\d+/.test(output), {
      timeoutMs: 60_000,
      intervalMs: 100,
      message: "demo prints the hub URL",
    }).catch((error) => {
      throw new Error(`${error.message}; output so far:\n${output}`);
    });
    const hubUrl = output.match(/hub HTTP API\s+(http:\/\/127\.0\.0\.1:\d+)/)![1]!;
    const readyAt = Date.now();

    const health = await fetch(`${hubUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assertEquals(health.status, 200);
    await health.body?.cancel();

    let counts = await tableCounts(hubUrl);
    await waitFor(async () => {
      counts = await tableCounts(hubUrl);
      return KINDS.every((k) => counts[k] > 0);
    }, { timeoutMs: 5_000, intervalMs: 100, message: "rows of every kind within 5 s" }).catch(
      (error) => {
        throw new Error(`${error.message}; counts ${JSON.stringify(counts)}`);
      },
    );
    assert(Date.now() - readyAt <= 5_500, "within 5 s of the demo being ready");
  } finally {
    demo.kill("SIGINT");
    const status = await demo.status;
    await Promise.all([stdoutDone, stderrDone]);
    const leftovers = await processesMentioning(dataDir);
    await Deno.remove(dataDir, { recursive: true });
    assertEquals(status.code, 0, `demo exit code; output:\n${output}`);
    assertEquals(leftovers, [], "no process of the demo is left running");
  }
});
