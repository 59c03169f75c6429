import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { batchTopic } from "@tributary/shared/topics";
import { encodeBatch } from "@tributary/shared/wire";
import mqtt from "mqtt";
import { makeBatch, seqRange } from "./testing/batches.ts";

const MAIN = new URL("./main.ts", import.meta.url).pathname;

function hubCommand(args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env,
  });
}

/** Reads stdout up to the first newline; returns that line and a reader holding the rest. */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  // Keep draining so that the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return text.split("\n")[0]!;
}

Deno.test("main run prints the ready line, ingests over MQTT, and exits 0 on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  const configPath = `${dir}/hub.toml`;
  await Deno.writeTextFile(
    configPath,
    `[hub]\ndata_dir = "${dir}/data"\n[http]\nlisten = "127.0.0.1:0"\n[broker]\nlisten = "127.0.0.1:0"\n`,
  );
  const child = hubCommand(["run", "--config", configPath]).spawn();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let logs = "";
  const readingLogs = (async () => {
    for (;;) {
      const { value, done } = await stderr.read();
      if (done) break;
      logs += value;
    }
  })();
  try {
    const line = await firstLine(child.stdout);
    const ready = JSON.parse(line);
    assertEquals(Object.keys(ready), ["event", "http", "mqtt"]);
    assertEquals(ready.event, "ready");
    assertMatch(ready.http, /^http:\/\/127\.0\.0\.1:\d+$/);
    const client = await mqtt.connectAsync(ready.mqtt, { protocolVersion: 4, reconnectPeriod: 0 });
    const batch = makeBatch("logs", { seqs: seqRange(1n, 20n), agent: "edge-m" });
    await client.publishAsync(batchTopic("edge-m", "logs"), Buffer.from(encodeBatch(batch)), {
      qos: 1,
    });
    await client.publishAsync(batchTopic("edge-m", "logs"), Buffer.from("garbage"), { qos: 1 });
    await client.endAsync();
    let body: { rows?: unknown[][] } = {};
    for (let i = 0; i < 100 && body.rows?.[0]?.[0] !== 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      const response = await fetch(`${ready.http}/api/v1/query`, {
        method: "POST",
        body: JSON.stringify({ sql: "SELECT count(*) FROM logs" }),
      });
      body = await response.json();
    }
    assertEquals(body.rows, [[20]]);
    assertEquals(await (await fetch(`${ready.http}/healthz`)).json(), { status: "ok" });
  } finally {
    child.kill("SIGTERM");
  }
  const status = await child.status;
  await readingLogs;
  await new Promise((resolve) => setTimeout(resolve, 5)); // MQTT.js store close timer
  await Deno.remove(dir, { recursive: true });
  assertEquals(status.code, 0, logs);
  assert(logs.includes('"msg":"hub stopped"'), logs);
  assert(logs.includes('"msg":"message quarantined"'), logs);
});

Deno.test("main run exits 2 and names the field on a config error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.toml`, `[http]\nlisten = "nowhere"\n`);
    const output = await hubCommand(["run", "--config", `${dir}/bad.toml`]).output();
    assertEquals(output.code, 2);
    assertMatch(new TextDecoder().decode(output.stderr), /^http\.listen: got "nowhere", expected/);
    assertEquals(output.stdout.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main --help lists the command, the options and docs/hub.md", async () => {
  const output = await hubCommand(["--help"]).output();
  assertEquals(output.code, 0);
  const text = new TextDecoder().decode(output.stdout);
  for (const part of ["run", "--config", "docs/hub.md", "TRIBUTARY_MQTT_PASSWORD"]) {
    assert(text.includes(part), `help lacks ${part}`);
  }
  const bad = await hubCommand(["serve"]).output();
  assertEquals(bad.code, 2);
});
