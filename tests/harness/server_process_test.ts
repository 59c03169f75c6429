import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "@tributary/shared/testing/asserts";
import { join } from "node:path";
import { acceptsTcp, type ServerProcess, spawnServer, startRestartable } from "./server_process.ts";
import { getFreePort } from "./free_port.ts";

/** A Deno child running `source`, as a stand-in server (one process, no grandchildren). */
async function spawnScript(source: string, stdout = false) {
  const dir = await Deno.makeTempDir({ prefix: "tributary-server-process-test-" });
  const lines: string[] = [];
  const server = await spawnServer({
    command: Deno.execPath(),
    args: ["eval", source],
    stderrPath: join(dir, "server.err"),
    stdoutPath: stdout ? join(dir, "server.out") : undefined,
    onStderrLine: (line) => lines.push(line),
  });
  return { server, dir, lines };
}

// Listens on a port, says so on stderr, exits 0 on SIGTERM.
const LISTENER = (port: number) => `
const listener = Deno.listen({ hostname: "127.0.0.1", port: ${port} });
Deno.addSignalListener("SIGTERM", () => { console.error("bye"); Deno.exit(0); });
console.log("to stdout");
console.error("listening on ${port}");
for await (const conn of listener) conn.close();
`;

Deno.test("spawnServer waits until the probe holds, captures output and stops on SIGTERM", async () => {
  const port = getFreePort();
  const { server, dir, lines } = await spawnScript(LISTENER(port), true);
  try {
    const outcome = await server.waitUntilReady(
      async () => lines.some((l) => l.startsWith("listening")) && await acceptsTcp(port),
      { timeoutMs: 20_000 },
    );
    assertEquals(outcome, "ready");
    const status = await server.stop();
    assertEquals({ code: status.code, signal: status.signal }, { code: 0, signal: null });
    assert(server.exited);
    assertMatch(await Deno.readTextFile(join(dir, "server.err")), /listening on \d+\nbye/);
    assertEquals(await Deno.readTextFile(join(dir, "server.out")), "to stdout\n");
    assertMatch(server.tail(), /to stdout\nlistening on \d+\nbye/);
    assertEquals(await acceptsTcp(port), false);
    // Idempotent: a second stop reports the same exit.
    assertEquals((await server.stop()).code, 0);
  } finally {
    await server.stop("SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ServerProcess.stop escalates to SIGKILL after the grace period", async () => {
  const { server, dir } = await spawnScript(`
    Deno.addSignalListener("SIGTERM", () => console.error("ignoring SIGTERM"));
    console.error("up");
    setInterval(() => {}, 1000);
  `);
  try {
    assertEquals(
      await server.waitUntilReady(() => server.stderr.text().includes("up"), { timeoutMs: 20_000 }),
      "ready",
    );
    const started = performance.now();
    const status = await server.stop("SIGTERM", 300);
    const elapsed = performance.now() - started;
    assertEquals(status.signal, "SIGKILL");
    assert(elapsed >= 250 && elapsed < 10_000, `stopped after ${Math.round(elapsed)} ms`);
    assertMatch(server.stderr.text(), /ignoring SIGTERM/);
  } finally {
    await server.stop("SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("waitUntilReady reports an early exit and a probe that never holds", async () => {
  const early = await spawnScript(`console.error("bad config"); Deno.exit(3);`);
  try {
    assertEquals(await early.server.waitUntilReady(() => false, { timeoutMs: 20_000 }), "exited");
    assertEquals((await early.server.stop()).code, 3);
    assertMatch(early.server.tail(), /bad config/);
  } finally {
    await Deno.remove(early.dir, { recursive: true });
  }
  const silent = await spawnScript(`setInterval(() => {}, 1000);`);
  try {
    assertEquals(
      await silent.server.waitUntilReady(() => false, { timeoutMs: 300, intervalMs: 20 }),
      "timeout",
    );
  } finally {
    assertEquals((await silent.server.stop("SIGKILL")).signal, "SIGKILL");
    await Deno.remove(silent.dir, { recursive: true });
  }
});

Deno.test("spawnServer throws NotFound for a missing binary", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-server-process-test-" });
  try {
    await assertRejects(
      () =>
        spawnServer({
          command: join(dir, "no-such-server"),
          args: [],
          stderrPath: join(dir, "err"),
        }),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startRestartable restarts on the same dir, stops for good and removes it", async () => {
  const port = getFreePort();
  const dir = await Deno.makeTempDir({ prefix: "tributary-server-process-test-" });
  const launch = async (run: number): Promise<ServerProcess> => {
    const stderrPath = join(dir, `run-${run}.log`);
    const next = await spawnServer({
      command: Deno.execPath(),
      args: ["eval", LISTENER(port)],
      stderrPath,
    });
    // The port opens before the line is written: wait for both, or a loaded
    // machine reads an empty log below.
    const said = async () =>
      (await Deno.readTextFile(stderrPath).catch(() => "")).includes("listening on");
    const up = await next.waitUntilReady(async () => await said() && await acceptsTcp(port), {
      timeoutMs: 20_000,
    });
    if (up !== "ready") {
      await next.stop("SIGKILL");
      throw new Error(`run ${run} ${up}`);
    }
    return next;
  };
  const server = await startRestartable({
    dir,
    stopGraceMs: 5_000,
    launch,
    stoppedError: () => new Error("stopped"),
  });
  assertMatch(server.log(), /listening on/);
  await server.restart({ signal: "SIGKILL", downMs: 10 });
  assert(await acceptsTcp(port), "serving again after the restart");
  // The crashed first run never said "bye"; the second is a new log file.
  assertEquals(await Deno.readTextFile(join(dir, "run-1.log")), `listening on ${port}\n`);
  assertMatch(await Deno.readTextFile(join(dir, "run-2.log")), /listening on/);
  await server.stop();
  await server.stop();
  assertEquals(await acceptsTcp(port), false);
  await assertRejects(() => Deno.stat(dir), Deno.errors.NotFound);
  await assertRejects(() => server.restart(), Error, "stopped");
});

Deno.test("startRestartable removes the dir when the first launch fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-server-process-test-" });
  await assertRejects(
    () =>
      startRestartable({
        dir,
        stopGraceMs: 1_000,
        prepare: () => Deno.writeTextFile(join(dir, "prepared"), "yes"),
        launch: () => Promise.reject(new Error("no server today")),
        stoppedError: () => new Error("stopped"),
      }),
    Error,
    "no server today",
  );
  await assertRejects(() => Deno.stat(dir), Deno.errors.NotFound);
});
