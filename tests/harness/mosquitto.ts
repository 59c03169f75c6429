/**
 * A real Mosquitto broker (the Debian package) for integration tests, on a
 * free loopback port, with its own generated config in a temp dir.
 *
 * Broker settings that matter to Tributary's tests (Mosquitto 2.0):
 * - `max_queued_messages 0` means "no maximum" for QoS 1/2 messages queued
 *   per client beyond those in flight (the broker's default is 1000, after
 *   which it drops). A persistent-session subscriber that is offline during a
 *   test therefore loses nothing at the broker; `max_queued_bytes` is left at
 *   its default, 0, also "no maximum". Memory is bounded by the test itself.
 * - `max_inflight_messages 20` is Mosquitto's own default: QoS 1 messages
 *   sent to a client but not yet acknowledged. `1` would force strict order.
 * - Persistence is off unless asked for; with it on, the store lives in the
 *   temp dir, is written at shutdown, and survives {@linkcode Mosquitto.restart}
 *   (persistent sessions and their queued messages come back).
 * - `persistent_client_expiration` is left unset: sessions never expire.
 *
 * @example
 * ```ts
 * await using broker = await startMosquitto();
 * console.log(broker.url); // mqtt://127.0.0.1:PORT
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { type Capture, captureOutput } from "./_output_capture.ts";
import { delay, raceTimeout, TIMED_OUT } from "./_timeout.ts";
import { getFreePort } from "./free_port.ts";

/** Options of {@linkcode startMosquitto}. */
export interface MosquittoOptions {
  /** The TCP port to listen on. @default a free port */
  port?: number;
  /** The broker binary. @default $MOSQUITTO_BIN, /usr/sbin/mosquitto, then PATH */
  binary?: string;
  /** QoS 1/2 messages in flight per client; 0 means no maximum. @default 20 */
  maxInflightMessages?: number;
  /** QoS 1/2 messages queued per client beyond those in flight; 0 means no maximum. @default 0 */
  maxQueuedMessages?: number;
  /** Keep sessions and queued messages across {@linkcode Mosquitto.restart}. @default false */
  persistence?: boolean;
  /** Extra lines appended to the generated mosquitto.conf. */
  extraConfig?: string[];
  /** How long to wait for the port to accept connections. @default 10_000 */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. @default 5_000 */
  stopTimeoutMs?: number;
}

/** A running broker; see {@linkcode startMosquitto}. */
export interface Mosquitto {
  /** `mqtt://127.0.0.1:PORT`; stays the same across restarts. */
  readonly url: string;
  /** The TCP port. */
  readonly port: number;
  /** The temp dir holding mosquitto.conf, the log and (if on) the store. */
  readonly dir: string;
  /** The broker's log output so far (of the current run). */
  log(): string;
  /**
   * Stops the broker and starts it again on the same port. By default with
   * SIGTERM (saving its store if persistence is on); `signal: "SIGKILL"`
   * crashes it instead: nothing is saved, whatever it held in memory is lost.
   */
  restart(options?: RestartOptions): Promise<void>;
  /** Stops the broker (SIGTERM, then SIGKILL after a timeout) and removes its dir. Idempotent. */
  stop(): Promise<void>;
  /** Same as `stop()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@linkcode Mosquitto.restart}. */
export interface RestartOptions {
  /** How to stop the running broker. @default "SIGTERM" */
  signal?: "SIGTERM" | "SIGKILL";
  /** How long the broker stays down before it starts again, in ms. @default 0 */
  downMs?: number;
}

/** Raised when the broker cannot be found or does not come up; the message holds its log tail. */
export class MosquittoStartError extends Error {
  override readonly name = "MosquittoStartError";
}

/**
 * Finds the Mosquitto binary: `$MOSQUITTO_BIN`, `/usr/sbin/mosquitto`, then
 * every PATH entry plus the sbin folders (Debian installs the broker in
 * /usr/sbin, which a non-root PATH often lacks).
 *
 * @throws {MosquittoStartError} when none is found.
 */
export function findMosquitto(): string {
  const fromEnv = Deno.env.get("MOSQUITTO_BIN");
  if (fromEnv) {
    if (isExecutableFile(fromEnv)) return fromEnv;
    throw new MosquittoStartError(`MOSQUITTO_BIN=${fromEnv} is not an executable file`);
  }
  const dirs = [
    "/usr/sbin",
    ...(Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir.length > 0),
    "/usr/local/sbin",
    "/sbin",
  ];
  for (const dir of dirs) {
    const candidate = join(dir, "mosquitto");
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new MosquittoStartError(
    `mosquitto not found (looked in $MOSQUITTO_BIN, ${dirs.join(", ")}); ` +
      "install it with: apt-get install -y mosquitto mosquitto-clients (or run .ci/run)",
  );
}

/** The mosquitto.conf text for `port`; exported so the settings can be read and tested. */
export function mosquittoConfig(options: {
  port: number;
  dir: string;
  maxInflightMessages?: number;
  maxQueuedMessages?: number;
  persistence?: boolean;
  extraConfig?: string[];
  runAsRoot?: boolean;
}): string {
  const lines = [
    "# Generated by tests/harness/mosquitto.ts for one test run.",
    `listener ${options.port} 127.0.0.1`,
    "allow_anonymous true",
    `max_inflight_messages ${options.maxInflightMessages ?? 20}`,
    `max_queued_messages ${options.maxQueuedMessages ?? 0}`,
    "max_queued_bytes 0",
    "set_tcp_nodelay true",
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    "log_type notice",
    "log_type information",
    "connection_messages true",
    "log_timestamp_format %Y-%m-%dT%H:%M:%S",
  ];
  // Started as root, Mosquitto 2 switches to the `mosquitto` user, which
  // cannot write our root-owned 0700 temp dir (the persistence store).
  if (options.runAsRoot) lines.push("user root");
  if (options.persistence) {
    lines.push("persistence true", `persistence_location ${options.dir}/`);
  } else {
    lines.push("persistence false");
  }
  lines.push(...(options.extraConfig ?? []));
  return lines.join("\n") + "\n";
}

/**
 * Starts Mosquitto on 127.0.0.1 and resolves once its port accepts a TCP
 * connection.
 *
 * @throws {MosquittoStartError} when the binary is missing, the broker exits
 * early (e.g. port taken, bad config line) or the port stays closed; the
 * message includes the broker's log tail.
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = options.binary ?? findMosquitto();
  const port = options.port ?? getFreePort();
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  const dir = await Deno.makeTempDir({ prefix: "tributary-mosquitto-" });
  const confPath = join(dir, "mosquitto.conf");
  await Deno.writeTextFile(
    confPath,
    mosquittoConfig({ ...options, port, dir, runAsRoot: Deno.uid() === 0 }),
  );

  let run: BrokerRun | undefined;
  let runCount = 0;
  let stopped = false;

  const launch = async () => {
    runCount += 1;
    const next = await spawnBroker(binary, confPath, join(dir, `mosquitto-${runCount}.log`));
    run = next;
    const up = await waitUntilListening(port, next, startTimeoutMs);
    if (up !== "listening") {
      await terminate(next, stopTimeoutMs);
      run = undefined;
      const why = up === "exited"
        ? `exited with code ${(await next.child.status).code}`
        : `did not accept connections on 127.0.0.1:${port} within ${startTimeoutMs} ms`;
      throw new MosquittoStartError(
        `mosquitto (${binary}) ${why}; log tail:\n${next.output.tail(30)}`,
      );
    }
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (run) await terminate(run, stopTimeoutMs);
    run = undefined;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  try {
    await launch();
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    log: () => run?.output.text() ?? "",
    restart: async (restartOptions: RestartOptions = {}) => {
      if (stopped) throw new MosquittoStartError("restart() after stop()");
      if (run) await terminate(run, stopTimeoutMs, restartOptions.signal ?? "SIGTERM");
      run = undefined;
      if ((restartOptions.downMs ?? 0) > 0) await delay(restartOptions.downMs!);
      await launch();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

interface BrokerRun {
  child: Deno.ChildProcess;
  output: Capture;
  exited: boolean;
}

async function spawnBroker(binary: string, confPath: string, logPath: string): Promise<BrokerRun> {
  const child = new Deno.Command(binary, {
    args: ["-c", confPath],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const output = await captureOutput(child.stderr, { path: logPath });
  const run: BrokerRun = { child, output, exited: false };
  child.status.then(() => {
    run.exited = true;
  });
  return run;
}

async function waitUntilListening(
  port: number,
  run: BrokerRun,
  timeoutMs: number,
): Promise<"listening" | "exited" | "timeout"> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (run.exited) return "exited";
    // A bare TCP connect could reach someone else's listener on that port;
    // only our broker answers an MQTT CONNECT with a CONNACK.
    if (await answersMqttConnect(port, 1_000)) return run.exited ? "exited" : "listening";
    await delay(25);
  }
  return run.exited ? "exited" : "timeout";
}

/** MQTT 3.1.1 CONNECT, clean session, keep-alive 10 s, empty client id. */
const CONNECT_PACKET = new Uint8Array([
  0x10,
  12,
  0x00,
  0x04,
  0x4d,
  0x51,
  0x54,
  0x54,
  0x04,
  0x02,
  0x00,
  0x0a,
  0x00,
  0x00,
]);
const DISCONNECT_PACKET = new Uint8Array([0xe0, 0x00]);

/** True when an MQTT broker on `port` accepts a CONNECT within `timeoutMs`. */
async function answersMqttConnect(port: number, timeoutMs: number): Promise<boolean> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return false;
  }
  try {
    await conn.write(CONNECT_PACKET);
    const reply = new Uint8Array(4);
    const read = (async () => {
      let got = 0;
      while (got < reply.length) {
        const n = await conn.read(reply.subarray(got));
        if (n === null) return false;
        got += n;
      }
      return true;
    })().catch(() => false);
    const complete = await raceTimeout(read, timeoutMs);
    const accepted = complete === true && reply[0] === 0x20 && reply[3] === 0x00;
    if (accepted) await conn.write(DISCONNECT_PACKET).catch(() => 0);
    conn.close();
    await read; // settles once the close interrupts a pending read
    return accepted;
  } catch {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
    return false;
  }
}

async function terminate(
  run: BrokerRun,
  timeoutMs: number,
  signal: "SIGTERM" | "SIGKILL" = "SIGTERM",
): Promise<void> {
  if (!run.exited) {
    try {
      run.child.kill(signal);
    } catch {
      // Already gone.
    }
    if (signal !== "SIGKILL" && await raceTimeout(run.child.status, timeoutMs) === TIMED_OUT) {
      try {
        run.child.kill("SIGKILL");
      } catch {
        // Exited in between.
      }
    }
  }
  await run.child.status;
  await run.output.done;
}

function isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}
