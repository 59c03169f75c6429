/**
 * A real single-node Apache Kafka broker (KRaft: one JVM is both broker and
 * controller) for integration tests, on free loopback ports, with its data in
 * a temp dir. The jars come from Maven Central through
 * {@linkcode mavenFetch} (`.cache/maven/kafka-<version>/lib`); the broker runs
 * with the machine's Java 17 as `java -cp <jars> kafka.Kafka`.
 *
 * Start-up measured on the 2-core CI box: about 4 to 6 s from spawn to
 * "Kafka Server started" (storage format included, about 1.5 s of it), so
 * each Kafka test file starts its own broker once and shares it across its
 * tests; topics named per test keep them apart.
 *
 * Broker settings that matter to Tributary's tests:
 * - `offsets.topic.num.partitions` 4 (the default 50 makes the first group
 *   join wait for 50 partitions to get a leader), replication factor 1.
 * - `group.initial.rebalance.delay.ms 0`: a lone consumer joins at once.
 * - `num.partitions` (default 4): auto-created topics have several
 *   partitions, so a consumer group has something to split.
 * - `message.max.bytes` (default 4 MiB here) for the oversized-batch tests.
 *
 * @example
 * ```ts
 * await using kafka = await startKafka();
 * console.log(kafka.bootstrap); // "127.0.0.1:PORT"
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { type Capture, captureOutput } from "./_output_capture.ts";
import { delay, raceTimeout, TIMED_OUT } from "./_timeout.ts";
import { getFreePort } from "./free_port.ts";
import { classpathOf, mavenFetch } from "./maven_fetch.ts";

/** The Apache Kafka release the tests run against. */
export const KAFKA_VERSION = "3.9.2";

/** What {@linkcode fetchKafka} asks Maven for: the broker and a logger that prints to stderr. */
export const KAFKA_ARTIFACTS: readonly string[] = [
  `org.apache.kafka:kafka_2.13:${KAFKA_VERSION}`,
  // Kafka logs through SLF4J and ships no binding in its pom; without one it is mute.
  "org.slf4j:slf4j-simple:1.7.36",
];

/** The cache folder name of the Kafka jars under `.cache/maven/`. */
export const KAFKA_CACHE_NAME = `kafka-${KAFKA_VERSION}`;

/**
 * Fetches the Kafka jars into `.cache/maven/kafka-<version>/lib` unless they
 * are there already; returns that folder.
 *
 * @throws {MavenFetchError} when Maven fails (e.g. no network on first use).
 */
export function fetchKafka(): Promise<string> {
  return mavenFetch({ name: KAFKA_CACHE_NAME, artifacts: [...KAFKA_ARTIFACTS] });
}

/** Options of {@linkcode startKafka}. */
export interface KafkaOptions {
  /** The client (PLAINTEXT) port. @default a free port */
  port?: number;
  /** Partitions of auto-created topics. @default 4 */
  numPartitions?: number;
  /** Largest record batch the broker accepts, in bytes. @default 4 MiB */
  messageMaxBytes?: number;
  /** Extra `key=value` lines appended to server.properties. */
  extraProperties?: string[];
  /** The `java` binary. @default $JAVA_BIN, else `java` from PATH */
  java?: string;
  /** JVM flags before the class name. @default heap 128 MiB..768 MiB, SerialGC */
  jvmArgs?: string[];
  /** How long to wait for the broker to come up. @default 60_000 */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. @default 15_000 */
  stopTimeoutMs?: number;
}

/** A running broker; see {@linkcode startKafka}. */
export interface Kafka {
  /** `127.0.0.1:PORT`, the bootstrap server; stays the same across restarts. */
  readonly bootstrap: string;
  /** The client port. */
  readonly port: number;
  /** The temp dir holding server.properties, the data and the logs. */
  readonly dir: string;
  /** How long the last (re)start took, from spawn to ready, in ms (storage format excluded). */
  readonly startMs: number;
  /** The broker's log output of the current run. */
  log(): string;
  /**
   * Stops the broker (SIGTERM, or SIGKILL to crash it) and starts it again on
   * the same ports with the same data.
   */
  restart(options?: KafkaRestartOptions): Promise<void>;
  /** Stops the broker for good (SIGTERM, then SIGKILL after a timeout) and removes its dir. Idempotent. */
  stop(): Promise<void>;
  /** Same as `stop()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@linkcode Kafka.restart}. */
export interface KafkaRestartOptions {
  /** How to stop the running broker. @default "SIGTERM" */
  signal?: "SIGTERM" | "SIGKILL";
  /** How long the broker stays down before it starts again, in ms. @default 0 */
  downMs?: number;
}

/** Raised when the broker cannot be fetched, formatted or started; the message holds its log tail. */
export class KafkaStartError extends Error {
  override readonly name = "KafkaStartError";
}

/** The server.properties text; exported so the settings can be read and tested. */
export function kafkaServerProperties(options: {
  port: number;
  controllerPort: number;
  dataDir: string;
  numPartitions?: number;
  messageMaxBytes?: number;
  extraProperties?: string[];
}): string {
  const lines = [
    "# Generated by tests/harness/kafka.ts for one test run.",
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${options.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${options.port},CONTROLLER://127.0.0.1:${options.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${options.port}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    `log.dirs=${options.dataDir}`,
    `num.partitions=${options.numPartitions ?? 4}`,
    "auto.create.topics.enable=true",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=4",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "transaction.state.log.num.partitions=4",
    "group.initial.rebalance.delay.ms=0",
    `message.max.bytes=${options.messageMaxBytes ?? 4 * 1024 * 1024}`,
    // After a SIGKILL the restarted broker waits out its old session before it
    // registers again (default 9 s); short sessions keep crash tests quick.
    "broker.session.timeout.ms=3000",
    "broker.heartbeat.interval.ms=500",
    "num.network.threads=2",
    "num.io.threads=2",
    "log.segment.bytes=67108864",
    ...(options.extraProperties ?? []),
  ];
  return lines.join("\n") + "\n";
}

/**
 * Fetches Kafka if needed, formats fresh storage and starts the broker on
 * 127.0.0.1; resolves once it logs "Kafka Server started" and its client
 * port accepts connections.
 *
 * @throws {KafkaStartError} when Java is missing, the broker exits early or
 * does not come up within `startTimeoutMs`; the message includes its log tail.
 */
export async function startKafka(options: KafkaOptions = {}): Promise<Kafka> {
  const lib = await fetchKafka();
  const classpath = await classpathOf(lib);
  const java = options.java ?? Deno.env.get("JAVA_BIN") ?? "java";
  const port = options.port ?? getFreePort();
  const controllerPort = getFreePort();
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  const dir = await Deno.makeTempDir({ prefix: "tributary-kafka-" });
  const propertiesPath = join(dir, "server.properties");
  await Deno.writeTextFile(
    propertiesPath,
    kafkaServerProperties({ ...options, port, controllerPort, dataDir: join(dir, "data") }),
  );
  const jvmArgs = [
    ...(options.jvmArgs ?? ["-Xms128m", "-Xmx768m", "-XX:+UseSerialGC"]),
    "-Djava.awt.headless=true",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
    "-Dorg.slf4j.simpleLogger.showDateTime=true",
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
    // Kafka's request and state-change logs are loud at info; keep ours readable.
    "-Dorg.slf4j.simpleLogger.log.kafka.request.logger=warn",
    "-Dorg.slf4j.simpleLogger.log.state.change.logger=warn",
    "-cp",
    classpath,
  ];

  let run: JavaRun | undefined;
  let runCount = 0;
  let stopped = false;
  let startMs = 0;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (run) await terminate(run, stopTimeoutMs);
    run = undefined;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  const launch = async () => {
    runCount += 1;
    const started = performance.now();
    const next = await spawnJava(java, [...jvmArgs, "kafka.Kafka", propertiesPath], {
      logPath: join(dir, `kafka-${runCount}.log`),
    });
    run = next;
    const up = await waitUntilReady(next, port, startTimeoutMs);
    if (up !== "ready") {
      await terminate(next, stopTimeoutMs, "SIGKILL");
      run = undefined;
      const why = up === "exited"
        ? `exited with code ${(await next.child.status).code}`
        : `did not start within ${startTimeoutMs} ms`;
      throw new KafkaStartError(`kafka ${why}; log tail:\n${next.output.tail(40)}`);
    }
    startMs = Math.round(performance.now() - started);
  };

  try {
    const format = await spawnJava(
      java,
      [
        // A one-shot tool: the C1 compiler alone starts faster.
        "-XX:TieredStopAtLevel=1",
        ...jvmArgs,
        "kafka.tools.StorageTool",
        "format",
        // One argument: an id may start with "-", which a separate argument would make an option.
        `--cluster-id=${randomClusterId()}`,
        "-c",
        propertiesPath,
      ],
      { logPath: join(dir, "format.log") },
    );
    const status = await raceTimeout(format.child.status, startTimeoutMs);
    if (status === TIMED_OUT || !status.success) {
      if (status === TIMED_OUT) await terminate(format, 1_000, "SIGKILL");
      await format.output.done;
      throw new KafkaStartError(
        `kafka storage format failed; output tail:\n${format.output.tail(30)}`,
      );
    }
    await format.output.done;
    await launch();
  } catch (error) {
    await stop();
    if (error instanceof Deno.errors.NotFound) {
      throw new KafkaStartError(
        `${java} not found; install Java 17 (apt-get install -y openjdk-17-jre-headless) or set JAVA_BIN`,
      );
    }
    throw error;
  }

  return {
    bootstrap: `127.0.0.1:${port}`,
    port,
    dir,
    get startMs() {
      return startMs;
    },
    log: () => run?.output.text() ?? "",
    restart: async (restartOptions: KafkaRestartOptions = {}) => {
      if (stopped) throw new KafkaStartError("restart() after stop()");
      if (run) await terminate(run, stopTimeoutMs, restartOptions.signal ?? "SIGTERM");
      run = undefined;
      if ((restartOptions.downMs ?? 0) > 0) await delay(restartOptions.downMs!);
      await launch();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** A random KRaft cluster id: 16 bytes, URL-safe base64 without padding (22 characters). */
export function randomClusterId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

interface JavaRun {
  child: Deno.ChildProcess;
  output: Capture;
  exited: boolean;
  /** Set when the broker logged that it started. */
  started: boolean;
}

async function spawnJava(
  java: string,
  args: string[],
  options: { logPath: string },
): Promise<JavaRun> {
  const child = new Deno.Command(java, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const run: JavaRun = {
    child,
    output: undefined as unknown as Capture,
    exited: false,
    started: false,
  };
  run.output = await captureOutput(child.stderr, {
    path: options.logPath,
    maxTailChars: 1024 * 1024,
    onLine: (line) => {
      if (READY_LINE.test(line)) run.started = true;
    },
  });
  child.status.then(() => {
    run.exited = true;
  });
  return run;
}

const READY_LINE = /Kafka Server started/;

async function waitUntilReady(
  run: JavaRun,
  port: number,
  timeoutMs: number,
): Promise<"ready" | "exited" | "timeout"> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (run.exited) return "exited";
    if (run.started && await accepts(port)) return "ready";
    await delay(50);
  }
  return run.exited ? "exited" : "timeout";
}

async function accepts(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

async function terminate(
  run: JavaRun,
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
