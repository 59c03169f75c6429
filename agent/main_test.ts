import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { type CliIo, HELP, main } from "./main.ts";
import { getFreePort } from "../tests/harness/free_port.ts";
import { startTestBroker } from "./transports/mqtt/test_broker.ts";

function io(stop: Promise<void> = new Promise(() => {})) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: {},
    waitForStop: () => stop,
  };
  return { cli, out, err };
}

Deno.test("main --help prints every command and points at docs/agent.md", async () => {
  const { cli, out } = io();
  assertEquals(await main(["--help"], cli), 0);
  assertEquals(out.join(""), HELP);
  for (
    const word of [
      "run --config",
      "status --config",
      "query --config",
      "verify --config",
      "--json",
      "docs/agent.md",
    ]
  ) {
    assert(HELP.includes(word), word);
  }
});

Deno.test("main refuses bad usage with exit code 2", async () => {
  for (
    const args of [
      [],
      ["fly"],
      ["run"],
      ["run", "--nope"],
      ["status", "x", "--config", "a"],
      ["query", "--config", "a"],
      ["query", "SELECT 1", "SELECT 2", "--config", "a"],
      ["verify", "x", "--config", "a"],
    ]
  ) {
    const { cli, err } = io();
    assertEquals(await main(args, cli), 2, args.join(" "));
    assert(err.join("").length > 0);
  }
});

Deno.test("main reports a config error on stderr with exit code 2", async () => {
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(path, '[agent]\nid = "edge-1"\n[shipper]\nin_flight = 0\n');
    const { cli, err, out } = io();
    assertEquals(await main(["run", "--config", path], cli), 2);
    assertMatch(err.join(""), /shipper\.in_flight: got 0, expected an integer from 1 to 1000/);
    assertEquals(out, []);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("main run prints the ready line, stops on signal; status reads the file after", async () => {
  const broker = await startTestBroker();
  const dir = await Deno.makeTempDir();
  const path = `${dir}/agent.toml`;
  await Deno.writeTextFile(
    path,
    `[agent]\nid = "edge-2"\ndata_dir = "${dir}/data"\nlog_level = "warn"\n[http]\nlisten = "127.0.0.1:0"\n` +
      `[transport.mqtt]\nurl = "${broker.url}"\nack = "broker"\n[[inputs]]\ntype = "sim_logs"\nrate = 2000\nlimit = 50\n`,
  );
  try {
    let stop: () => void = () => {};
    const { cli, out } = io(new Promise((r) => stop = r));
    const running = main(["run", "--config", path], cli);
    while (out.length === 0) await new Promise((r) => setTimeout(r, 10));
    const ready = JSON.parse(out[0]!);
    assertEquals(ready.event, "ready");
    assertMatch(ready.http, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${ready.http}/healthz`);
    assertEquals(await health.json(), { status: "ok" });
    stop();
    assertEquals(await running, 0);

    const status = io();
    assertEquals(await main(["status", "--config", path, "--json"], status.cli), 0);
    const parsed = JSON.parse(status.out.join(""));
    assertEquals(parsed.agent, "edge-2");
    assert(parsed.streams.logs.next_seq > 1);
    const table = io();
    assertEquals(await main(["status", "-c", path], table.cli), 0);
    assertMatch(table.out.join(""), /not running; read from/);
  } finally {
    await broker.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts as a process: ready line on stdout, SIGTERM exits 0, bad config exits 2", async () => {
  const broker = await startTestBroker();
  const dir = await Deno.makeTempDir();
  const mainPath = new URL("./main.ts", import.meta.url).pathname;
  try {
    const good = `${dir}/agent.toml`;
    await Deno.writeTextFile(
      good,
      `[agent]\nid = "edge-p"\ndata_dir = "${dir}/data"\nlog_level = "warn"\n[http]\nlisten = "127.0.0.1:0"\n` +
        `[transport.mqtt]\nurl = "${broker.url}"\nack = "broker"\n[[inputs]]\ntype = "sim_sensors"\nrate = 500\n`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", mainPath, "run", "--config", good],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const ready = JSON.parse(text.split("\n")[0]!);
    assertEquals(ready.event, "ready");
    const status = await (await fetch(`${ready.http}/status`)).json();
    assertEquals(status.agent, "edge-p");
    child.kill("SIGTERM");
    const [result, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })(),
    ]);
    assertEquals(result.code, 0, stderr);

    const bad = `${dir}/bad.toml`;
    await Deno.writeTextFile(bad, `[agent]\nid = "edge-p"\n[http]\nlisten = "nowhere"\n`);
    const failed = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", mainPath, "run", "--config", bad],
    }).output();
    assertEquals(failed.code, 2);
    assertMatch(new TextDecoder().decode(failed.stderr), /http\.listen: got "nowhere"/);
    assertEquals(failed.stdout.length, 0);
  } finally {
    await broker.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main query asks the running agent, verify refuses it; both read the file after", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/agent.toml`;
  await Deno.writeTextFile(
    path,
    `[agent]\nid = "edge-3"\ndata_dir = "${dir}/data"\nlog_level = "warn"\n` +
      `[http]\nlisten = "127.0.0.1:${getFreePort()}"\n` +
      // No broker answers at this URL: the rows stay in the buffer.
      `[transport.mqtt]\nurl = "mqtt://127.0.0.1:${getFreePort()}"\nconnect_timeout_ms = 200\n` +
      `[[inputs]]\ntype = "sim_logs"\nrate = 5000\nlimit = 40\n`,
  );
  try {
    let stop: () => void = () => {};
    const { cli, out } = io(new Promise((r) => stop = r));
    const running = main(["run", "--config", path], cli);
    while (out.length === 0) await new Promise((r) => setTimeout(r, 10));
    const sql = "SELECT count(*) AS n FROM buffer_logs";
    for (let n = 0; n < 40;) {
      const live = io();
      assertEquals(await main(["query", "--config", path, "--json", sql], live.cli), 0);
      n = JSON.parse(live.out.join("")).rows[0][0];
      if (n < 40) await new Promise((r) => setTimeout(r, 20));
    }
    const refused = io();
    assertEquals(await main(["query", "-c", path, "DELETE FROM streams"], refused.cli), 2);
    assertMatch(refused.err.join(""), /query refused: sql: only SELECT/);
    const busy = io();
    assertEquals(await main(["verify", "-c", path], busy.cli), 1);
    assertMatch(busy.err.join(""), /agent is running/);
    stop();
    assertEquals(await running, 0);

    const offline = io();
    assertEquals(await main(["query", "-c", path, sql], offline.cli), 0);
    assertEquals(offline.out.join(""), " n\n--\n40\n(1 row)\n");
    const verify = io();
    assertEquals(await main(["verify", "-c", path], verify.cli), 0);
    assertMatch(verify.out.join(""), /ok: .* no problems/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
