import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "@tributary/shared/testing/asserts";
import { getFreePort } from "./free_port.ts";
import { mosquittoConfig, MosquittoStartError, startMosquitto } from "./mosquitto.ts";

/** Runs a Debian mosquitto client to completion and returns its stdout lines. */
async function client(
  command: "mosquitto_pub" | "mosquitto_sub",
  args: string[],
  stdin?: string,
): Promise<{ code: number; lines: string[]; stderr: string }> {
  const child = new Deno.Command(command, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const text = new TextDecoder().decode(output.stdout);
  return {
    code: output.code,
    lines: text.split("\n").filter((line) => line.length > 0),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** Creates a persistent QoS 1 session for `clientId` on `topic`, then disconnects. */
async function registerSession(port: number, clientId: string, topic: string): Promise<void> {
  const result = await client("mosquitto_sub", [
    ...["-h", "127.0.0.1", "-p", String(port), "-i", clientId, "-c", "-q", "1", "-t", topic],
    "-E", // exit once the subscription is acknowledged
  ]);
  assertEquals(result.code, 0, `mosquitto_sub -E failed: ${result.stderr}`);
}

/** Publishes each line of `messages` with QoS 1. */
async function publishLines(port: number, topic: string, messages: string[]): Promise<void> {
  const result = await client(
    "mosquitto_pub",
    ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-t", topic, "-l"],
    messages.join("\n") + "\n",
  );
  assertEquals(result.code, 0, `mosquitto_pub failed: ${result.stderr}`);
}

/** Resumes `clientId`'s session and collects up to `count` messages (bounded by `seconds`). */
async function resumeAndCollect(
  port: number,
  clientId: string,
  topic: string,
  count: number,
  seconds: number,
): Promise<string[]> {
  const result = await client("mosquitto_sub", [
    ...["-h", "127.0.0.1", "-p", String(port), "-i", clientId, "-c", "-q", "1", "-t", topic],
    ...["-C", String(count), "-W", String(seconds)],
  ]);
  return result.lines;
}

Deno.test("mosquittoConfig binds loopback and lifts the per-client queue limit", () => {
  const text = mosquittoConfig({ port: 1234, dir: "/tmp/x" });
  assertMatch(text, /^listener 1234 127\.0\.0\.1$/m);
  assertMatch(text, /^allow_anonymous true$/m);
  assertMatch(text, /^max_queued_messages 0$/m);
  assertMatch(text, /^max_inflight_messages 20$/m);
  assertMatch(text, /^persistence false$/m);
  assertMatch(
    mosquittoConfig({ port: 1, dir: "/d", persistence: true }),
    /^persistence_location \/d\/$/m,
  );
});

Deno.test("startMosquitto relays a QoS 1 message between the Debian clients", async () => {
  await using broker = await startMosquitto();
  assertEquals(broker.url, `mqtt://127.0.0.1:${broker.port}`);
  await registerSession(broker.port, "harness-sub", "harness/one");
  await publishLines(broker.port, "harness/one", ["hello tributary"]);
  const got = await resumeAndCollect(broker.port, "harness-sub", "harness/one", 1, 10);
  assertEquals(got, ["hello tributary"]);
  assertMatch(broker.log(), /New client connected/);
});

Deno.test("startMosquitto keeps every queued QoS 1 message for an offline persistent session", async () => {
  // 1500 is above Mosquitto's default max_queued_messages (1000).
  await using broker = await startMosquitto();
  await registerSession(broker.port, "harness-offline", "harness/queue");
  const messages = Array.from({ length: 1500 }, (_, i) => `m${i}`);
  await publishLines(broker.port, "harness/queue", messages);
  const got = await resumeAndCollect(broker.port, "harness-offline", "harness/queue", 1500, 15);
  assertEquals(got.length, 1500);
  assertEquals(got, messages);
});

Deno.test("startMosquitto with the broker default queue limit drops beyond it (the setting is live)", async () => {
  await using broker = await startMosquitto({ maxQueuedMessages: 1000 });
  await registerSession(broker.port, "harness-limited", "harness/limited");
  const messages = Array.from({ length: 1200 }, (_, i) => `m${i}`);
  await publishLines(broker.port, "harness/limited", messages);
  const got = await resumeAndCollect(broker.port, "harness-limited", "harness/limited", 1200, 3);
  assert(got.length < 1200, `expected drops with max_queued_messages 1000, got ${got.length}`);
});

Deno.test("Mosquitto.restart keeps the port and, with persistence, the queued messages", async () => {
  await using broker = await startMosquitto({ persistence: true });
  await registerSession(broker.port, "harness-restart", "harness/restart");
  await publishLines(broker.port, "harness/restart", ["before-restart"]);
  await broker.restart();
  const got = await resumeAndCollect(broker.port, "harness-restart", "harness/restart", 1, 10);
  assertEquals(got, ["before-restart"]);
});

Deno.test("Mosquitto.restart with SIGKILL crashes the broker: nothing queued is saved", async () => {
  await using broker = await startMosquitto({ persistence: true });
  await registerSession(broker.port, "harness-crash", "harness/crash");
  await publishLines(broker.port, "harness/crash", ["before-crash"]);
  await broker.restart({ signal: "SIGKILL", downMs: 50 });
  const got = await resumeAndCollect(broker.port, "harness-crash", "harness/crash", 1, 2);
  assertEquals(got, []);
  assertMatch(broker.log(), /mosquitto version .* starting/i);
});

Deno.test("Mosquitto.stop is idempotent, removes its dir and frees the port", async () => {
  const broker = await startMosquitto();
  await broker.stop();
  await broker.stop();
  await assertRejects(() => Deno.stat(broker.dir), Deno.errors.NotFound);
  await assertRejects(
    () => Deno.connect({ hostname: "127.0.0.1", port: broker.port }),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("startMosquitto fails clearly when its port is taken", async () => {
  const port = getFreePort();
  const squatter = Deno.listen({ hostname: "127.0.0.1", port });
  try {
    const error = await assertRejects(
      () => startMosquitto({ port, startTimeoutMs: 5_000 }),
      MosquittoStartError,
    );
    assertMatch(error.message, /exited with code/);
    assertMatch(error.message, /Address already in use/i);
  } finally {
    squatter.close();
  }
});
