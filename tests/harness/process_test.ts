import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "@tributary/shared/testing/asserts";
import { join } from "node:path";
import { parseReadyLine, ProcessStartError, startDenoProcess } from "./process.ts";

/** Writes a throwaway script into a fresh temp dir; returns its path and the dir. */
async function script(source: string): Promise<{ path: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "tributary-harness-test-" });
  const path = join(dir, "child.ts");
  await Deno.writeTextFile(path, source);
  return { path, dir };
}

// Like hub/main.ts and agent/main.ts must: signal handlers first, ready line
// last, or a signal sent right after the ready line kills the child (130).
const READY_THEN_WAIT = `
console.log("starting up");
console.error(JSON.stringify({ level: "info", msg: "booting" }));
const keepAlive = setInterval(() => {}, 1000);
const onSignal = () => {
  clearInterval(keepAlive);
  console.error(JSON.stringify({ level: "info", msg: "stopping", pid: Deno.pid }));
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);
console.log(JSON.stringify({ event: "ready", http: "http://127.0.0.1:1234" }));
`;

Deno.test("startDenoProcess resolves with the parsed ready line and stops on SIGINT with code 0", async () => {
  const { path, dir } = await script(READY_THEN_WAIT);
  const logRoot = await Deno.makeTempDir({ prefix: "tributary-harness-logs-" });
  try {
    const child = await startDenoProcess({ script: path, name: "readychild", logDir: logRoot });
    assertEquals(child.ready, { event: "ready", http: "http://127.0.0.1:1234" });
    assert(child.pid > 0);
    const exit = await child.stop();
    assertEquals(exit, { code: 0, signal: null, killed: false });
    assertMatch(child.stdout(), /^starting up\n/);
    assertEquals(child.logRecords().map((record) => record.msg), ["booting", "stopping"]);
    // The files hold the same bytes as memory, and were kept (logDir was given).
    assertEquals(await Deno.readTextFile(child.stdoutPath), child.stdout());
    assertEquals(await Deno.readTextFile(child.stderrPath), child.stderr());
    // stop() again only reports.
    assertEquals(await child.stop(), exit);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(logRoot, { recursive: true });
  }
});

Deno.test("startDenoProcess removes its own temp log dir after a clean exit", async () => {
  const { path, dir } = await script(READY_THEN_WAIT);
  try {
    const child = await startDenoProcess({ script: path });
    await child.stop("SIGTERM");
    if (Deno.env.get("TRIBUTARY_TEST_LOG_DIR")) {
      // Logs under an explicit log root are always kept.
      assert((await Deno.stat(child.logDir)).isDirectory);
    } else {
      await assertRejects(() => Deno.stat(child.logDir), Deno.errors.NotFound);
    }
    assertMatch(child.stderr(), /"stopping"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startDenoProcess passes args and env to the child", async () => {
  const { path, dir } = await script(`
console.log(JSON.stringify({ event: "ready", args: Deno.args, color: Deno.env.get("NO_COLOR"), extra: Deno.env.get("EXTRA") }));
`);
  try {
    await using child = await startDenoProcess({
      script: path,
      args: ["run", "--config", "x.toml"],
      env: { EXTRA: "yes" },
    });
    assertEquals(child.ready.args, ["run", "--config", "x.toml"]);
    assertEquals(child.ready.color, "1");
    assertEquals(child.ready.extra, "yes");
    assertEquals((await child.exited).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startDenoProcess fails clearly when the child exits before its ready line", async () => {
  const { path, dir } = await script(`
console.error("transport.mqtt.qos: got 3, expected 0 or 1");
Deno.exit(2);
`);
  try {
    const error = await assertRejects(
      () => startDenoProcess({ script: path, name: "badconfig" }),
      ProcessStartError,
    );
    assertEquals(error.exit.code, 2);
    assertMatch(error.message, /badconfig .* exited with code 2 before its ready line/);
    assertMatch(error.message, /transport\.mqtt\.qos: got 3/);
    assertMatch(error.stderrTail, /expected 0 or 1/);
    // A failed start keeps its logs for inspection.
    const logDir = error.message.match(/logs in (\S+);/)?.[1];
    assert(logDir, "the message names the log dir");
    await Deno.remove(logDir, { recursive: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startDenoProcess times out on a silent child and kills it", async () => {
  const { path, dir } = await script(`
console.error("waiting forever");
setInterval(() => {}, 1000);
`);
  try {
    const error = await assertRejects(
      () => startDenoProcess({ script: path, name: "silent", readyTimeoutMs: 1_500 }),
      ProcessStartError,
    );
    assertMatch(error.message, /printed no ready line within 1500 ms/);
    assertMatch(error.message, /waiting forever/);
    assertEquals(error.exit.signal, "SIGKILL");
    await Deno.remove(error.message.match(/logs in (\S+);/)?.[1] ?? "", { recursive: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DenoProcess.stop escalates to SIGKILL when the child ignores the signal", async () => {
  const { path, dir } = await script(`
Deno.addSignalListener("SIGINT", () => console.error("ignoring SIGINT"));
console.log(JSON.stringify({ event: "ready" }));
setInterval(() => {}, 1000);
`);
  try {
    const child = await startDenoProcess({ script: path, name: "stubborn" });
    const exit = await child.stop("SIGINT", 500);
    assertEquals(exit.killed, true);
    assertEquals(exit.signal, "SIGKILL");
    assertMatch(child.stderr(), /ignoring SIGINT/);
    await Deno.remove(child.logDir, { recursive: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseReadyLine accepts only a JSON object with event ready", () => {
  assertEquals(parseReadyLine(' {"event":"ready","http":"h"} '), { event: "ready", http: "h" });
  assertEquals(parseReadyLine('{"event":"started"}'), undefined);
  assertEquals(parseReadyLine("ready"), undefined);
  assertEquals(parseReadyLine('{"event":"ready"'), undefined);
  assertEquals(parseReadyLine('["event","ready"]'), undefined);
});
