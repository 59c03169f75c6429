/**
 * Runs the shipped deploy/mosquitto config on a free loopback port for
 * tests: the same mosquitto.conf and tributary.acl, with only the listener
 * and file paths rewritten, and a password file made by `mosquitto_passwd`.
 *
 * @module
 */
import { join } from "node:path";
import mqtt from "mqtt";
import { getFreePort } from "../../tests/harness/free_port.ts";
import { findMosquitto } from "../../tests/harness/mosquitto.ts";
import { waitFor } from "../../tests/harness/wait_for.ts";

const HERE = new URL("./", import.meta.url);

/** Options of {@linkcode startSecuredMosquitto}. */
export interface SecuredBrokerOptions {
  /** User name → password, written with `mosquitto_passwd -b`. */
  users: Record<string, string>;
  /** A user of `users` that the readiness check logs in as. */
  probeUser: string;
}

/** A running broker; `stop()` ends it and removes its folder. */
export interface SecuredBroker extends AsyncDisposable {
  /** `mqtt://127.0.0.1:PORT`, without credentials. */
  readonly url: string;
  /** The broker's stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * The shipped config with the listener moved to `127.0.0.1:port`, the
 * password and ACL files and persistence moved into `dir`. Throws when a line
 * it must rewrite is missing, so the test cannot silently drift from the file.
 */
export function localizeConfig(
  template: string,
  options: { port: number; dir: string; runAsRoot: boolean },
): string {
  const rewrites: [RegExp, string][] = [
    [/^listener 1883$/m, `listener ${options.port} 127.0.0.1`],
    [/^password_file .*$/m, `password_file ${join(options.dir, "tributary.passwd")}`],
    [/^acl_file .*$/m, `acl_file ${join(options.dir, "tributary.acl")}`],
    [/^persistence_location .*$/m, `persistence_location ${options.dir}/`],
  ];
  let text = template;
  for (const [pattern, line] of rewrites) {
    if (!pattern.test(text)) throw new Error(`mosquitto.conf: no line matching ${pattern}`);
    text = text.replace(pattern, line);
  }
  // Started as root, Mosquitto switches to its own user, which cannot read our 0700 temp dir.
  if (options.runAsRoot) text += "\nuser root\n";
  return text + "log_dest stderr\nlog_type all\n";
}

/** Starts Mosquitto with the deploy config; resolves once `probeUser` can log in. */
export async function startSecuredMosquitto(options: SecuredBrokerOptions): Promise<SecuredBroker> {
  const dir = await Deno.makeTempDir({ prefix: "tributary-mosquitto-acl-" });
  const port = getFreePort();
  const passwordFile = join(dir, "tributary.passwd");
  await Deno.writeTextFile(passwordFile, "");
  for (const [user, password] of Object.entries(options.users)) {
    const out = await new Deno.Command("mosquitto_passwd", {
      args: ["-b", passwordFile, user, password],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      await Deno.remove(dir, { recursive: true });
      throw new Error(`mosquitto_passwd failed: ${new TextDecoder().decode(out.stderr)}`);
    }
  }
  await Deno.copyFile(new URL("tributary.acl", HERE), join(dir, "tributary.acl"));
  const confPath = join(dir, "mosquitto.conf");
  await Deno.writeTextFile(
    confPath,
    localizeConfig(await Deno.readTextFile(new URL("mosquitto.conf", HERE)), {
      port,
      dir,
      runAsRoot: Deno.uid() === 0,
    }),
  );
  const child = new Deno.Command(findMosquitto(), {
    args: ["-c", confPath],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      if (!exited) child.kill("SIGTERM");
      await status;
      await reading.catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    })();
  const url = `mqtt://127.0.0.1:${port}`;
  try {
    await waitFor(async () => {
      if (exited) throw new Error(`mosquitto exited:\n${stderr.slice(-2000)}`);
      return await canLogIn(url, options.probeUser, options.users[options.probeUser]!);
    }, { timeoutMs: 10_000, intervalMs: 100, message: "mosquitto accepting logins" });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, log: () => stderr, stop, [Symbol.asyncDispose]: stop };
}

/** True when `user` can log in to `url`; false when refused or unreachable. */
export async function canLogIn(url: string, username: string, password: string): Promise<boolean> {
  const client = mqtt.connect(url, {
    username,
    password,
    reconnectPeriod: 0,
    connectTimeout: 2_000,
    protocolVersion: 4,
  });
  try {
    return await new Promise<boolean>((resolve) => {
      client.once("connect", () => resolve(true));
      client.once("error", () => resolve(false));
      client.once("close", () => resolve(false));
    });
  } finally {
    await client.endAsync(true);
  }
}
