/**
 * A subscription the broker refuses (SUBACK 0x80: its ACL denies the topic)
 * is counted, logged with the topic and reason code, and retried with backoff
 * until granted. Against a real Mosquitto with its dynamic-security plugin:
 * Mosquitto 2.0's plain `acl_file` never refuses a SUBSCRIBE (it grants it
 * and filters on delivery, checked with 2.0.11), while dynsec answers 0x80.
 * The ACL is then fixed at the running broker (`mosquitto_ctrl dynsec
 * addGroupRole`), the input's next retry is granted and rows flow; then the
 * broker restarts without persistence (session lost) and the input
 * subscribes again on reconnect.
 */
import { join } from "node:path";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { createLogger } from "@tributary/shared/log";
import { startMosquitto } from "../../../tests/harness/mosquitto.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { recordingContext } from "../testing/context.ts";
import { mqttInput } from "./mod.ts";

/** The plugin the Debian package `mosquitto` installs, under the machine's multiarch folder. */
function dynsecPlugin(): string {
  const name = "mosquitto_dynamic_security.so";
  const dirs = [
    "/usr/lib",
    ...[...Deno.readDirSync("/usr/lib")].filter((e) =>
      e.isDirectory && e.name.endsWith("-linux-gnu")
    ).map((e) => `/usr/lib/${e.name}`),
  ];
  for (const dir of dirs) {
    try {
      Deno.statSync(`${dir}/${name}`);
      return `${dir}/${name}`;
    } catch { /* not here */ }
  }
  throw new Error(`${name} not found under /usr/lib: apt-get install -y mosquitto`);
}
const ADMIN = ["admin", "admin-pw-1"] as const;

async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert(out.success, `${command} ${args.join(" ")}: ${text}`);
  return text;
}

/**
 * A dynsec config: an admin, a role allowed to subscribe to sensors/#, and
 * an anonymous group WITHOUT that role (so subscriptions are refused).
 * Anyone may publish.
 */
async function writeDynsecConfig(path: string): Promise<void> {
  await run("mosquitto_ctrl", ["dynsec", "init", path, ...ADMIN]);
  const config = JSON.parse(await Deno.readTextFile(path));
  config.roles.push({
    rolename: "sensors",
    acls: [{ acltype: "subscribePattern", topic: "sensors/#", allow: true }],
  });
  config.groups = [{ groupname: "anon", roles: [], clients: [] }];
  config.anonymousGroup = "anon";
  config.defaultACLAccess.publishClientSend = true;
  await Deno.writeTextFile(path, JSON.stringify(config));
}

function mosquittoPub(port: number, topic: string, message: string): Promise<string> {
  return run("mosquitto_pub", [
    "-h",
    "127.0.0.1",
    "-p",
    `${port}`,
    "-q",
    "1",
    "-t",
    topic,
    "-m",
    message,
  ]);
}

Deno.test("mqtt input retries a refused subscription until the broker grants it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-dynsec-" });
  const dynsec = join(dir, "dynamic-security.json");
  await writeDynsecConfig(dynsec);
  try {
    await using broker = await startMosquitto({
      extraConfig: [`plugin ${dynsecPlugin()}`, `plugin_opt_config_file ${dynsec}`],
    });
    const logs: Record<string, unknown>[] = [];
    const base = recordingContext();
    Object.assign(base, { log: createLogger({ sink: (line) => logs.push(JSON.parse(line)) }) });
    const config = mqttInput.validate(
      {
        url: broker.url,
        reconnect_ms: 100,
        topics: ["sensors/#"],
        topic_levels: "_/sensor/metric",
        client_id: "t-acl",
      },
      "in",
    );
    const input = mqttInput.create(config, base);
    await input.start();
    try {
      // Refused: counted and logged with the topic and the broker's reason code, more than once.
      await waitFor(() => (base.rejections.get("subscribe_refused") ?? 0) >= 2, {
        timeoutMs: 15_000,
        message: "the refused subscription counted twice (retried)",
      });
      const refusal = logs.find((r) => String(r.msg).includes("subscription refused"));
      assertEquals(refusal?.topic, "sensors/#");
      assertEquals(refusal?.reason_code, "0x80");
      await mosquittoPub(broker.port, "sensors/s1/temperature", `{"value": 1.5}`);
      assertEquals(base.rows.readings.length, 0);

      // The ACL is fixed at the running broker: a later retry is granted.
      await run("mosquitto_ctrl", [
        "-h",
        "127.0.0.1",
        "-p",
        `${broker.port}`,
        "-u",
        ADMIN[0],
        "-P",
        ADMIN[1],
        "dynsec",
        "addGroupRole",
        "anon",
        "sensors",
      ]);
      await waitFor(() => input.ready.then(() => true), {
        timeoutMs: 30_000,
        message: "subscription granted after the ACL change",
      });
      await mosquittoPub(broker.port, "sensors/s1/temperature", `{"value": 2.5}`);
      await waitFor(() => base.rows.readings.length === 1, {
        timeoutMs: 10_000,
        message: `a row after the grant (handled ${input.handled()}, rejected ${
          JSON.stringify([...base.rejections])
        }, rows ${base.rows.readings.length})`,
      });
      assertEquals(base.rows.readings[0]?.value, 2.5);

      // Session lost (no persistence): the input subscribes again on reconnect.
      await broker.restart();
      await waitFor(async () => {
        await mosquittoPub(broker.port, "sensors/s2/temperature", `{"value": 3.5}`);
        return base.rows.readings.some((r) => r.value === 3.5);
      }, { timeoutMs: 30_000, intervalMs: 500, message: "rows after the broker restart" });
    } finally {
      await input.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
