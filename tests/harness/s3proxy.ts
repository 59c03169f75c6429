/**
 * A real S3-compatible server for integration tests: S3Proxy (Maven Central
 * `org.gaul:s3proxy`, run with the machine's Java 17) with jclouds'
 * filesystem backend in a temp dir, on a free loopback port. Buckets are
 * created as folders before start.
 *
 * The jars are fetched once into `.cache/maven/s3proxy-<version>/lib` by
 * {@linkcode mavenFetch} (`deno run -A tools/fetch_test_servers.ts` does it ahead).
 *
 * @example
 * ```ts
 * await using s3 = await startS3Proxy({ buckets: ["cold"] });
 * console.log(s3.endpoint); // http://127.0.0.1:PORT
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { type Capture, captureOutput } from "./_output_capture.ts";
import { delay, raceTimeout, TIMED_OUT } from "./_timeout.ts";
import { getFreePort } from "./free_port.ts";
import { classpathOf, mavenFetch } from "./maven_fetch.ts";

/** The S3Proxy release the tests run. */
export const S3PROXY_VERSION = "4.1.0";
/**
 * Maven coordinates of {@linkcode S3PROXY_VERSION}. S3Proxy 4.1 imports the
 * Jackson 3 BOM, which a dependent pom does not inherit: without the explicit
 * jackson-annotations 2.22 (the BOM's), Maven picks 2.18.3 and the server
 * fails with `NoClassDefFoundError: .../JsonSerializeAs`.
 */
export const S3PROXY_ARTIFACTS: readonly string[] = [
  `org.gaul:s3proxy:${S3PROXY_VERSION}`,
  "com.fasterxml.jackson.core:jackson-annotations:2.22",
];
/** The cache folder name under `.cache/maven/`. */
export const S3PROXY_CACHE_NAME = `s3proxy-${S3PROXY_VERSION}`;

/** Access key the test server accepts. */
export const S3PROXY_ACCESS_KEY = "tributary-test";
/** Secret key the test server accepts. */
export const S3PROXY_SECRET_KEY = "tributary-test-secret";

/** Options of {@linkcode startS3Proxy}. */
export interface S3ProxyOptions {
  /** Buckets to create. @default ["tributary"] */
  buckets?: string[];
  /** TCP port. @default a free port */
  port?: number;
  /** How long to wait for the server to answer. @default 60_000 (the JVM starts slowly on 2 cores) */
  startTimeoutMs?: number;
}

/** A running S3Proxy; see {@linkcode startS3Proxy}. */
export interface S3Proxy {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  /** The filesystem backend's root: one folder per bucket. */
  readonly dataDir: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The server's output so far. */
  log(): string;
  /** Environment for the `aws` CLI (credentials, region) against this server. */
  awsEnv(): Record<string, string>;
  /** Stops the server (kept data) and starts it again on the same port. */
  restart(options?: { downMs?: number }): Promise<void>;
  /** Stops the server and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Raised when Java or the jars are missing or the server does not come up. */
export class S3ProxyStartError extends Error {
  override readonly name = "S3ProxyStartError";
}

/** Fetches the S3Proxy jars into the cache (once) and returns their lib folder. */
export function fetchS3Proxy(): Promise<string> {
  return mavenFetch({ name: S3PROXY_CACHE_NAME, artifacts: [...S3PROXY_ARTIFACTS] });
}

/** Fetches the S3Proxy jars (cached) and returns the class path. */
export async function s3proxyClasspath(): Promise<string> {
  return await classpathOf(await fetchS3Proxy());
}

/** The S3Proxy properties for a server on `port` storing under `dataDir`. */
export function s3proxyProperties(port: number, dataDir: string): string {
  return [
    `s3proxy.endpoint=http://127.0.0.1:${port}`,
    "s3proxy.authorization=aws-v2-or-v4",
    `s3proxy.identity=${S3PROXY_ACCESS_KEY}`,
    `s3proxy.credential=${S3PROXY_SECRET_KEY}`,
    "jclouds.provider=filesystem",
    `jclouds.filesystem.basedir=${dataDir}`,
    "",
  ].join("\n");
}

/**
 * Starts S3Proxy and resolves once it answers HTTP.
 *
 * @throws {S3ProxyStartError} when Java is missing, the server exits or stays silent.
 */
export async function startS3Proxy(options: S3ProxyOptions = {}): Promise<S3Proxy> {
  const classpath = await s3proxyClasspath();
  const port = options.port ?? getFreePort();
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const dir = await Deno.makeTempDir({ prefix: "tributary-s3proxy-" });
  const dataDir = join(dir, "data");
  for (const bucket of options.buckets ?? ["tributary"]) {
    await Deno.mkdir(join(dataDir, bucket), { recursive: true });
  }
  const propsPath = join(dir, "s3proxy.conf");
  await Deno.writeTextFile(propsPath, s3proxyProperties(port, dataDir));

  let run: ServerRun | undefined;
  let runs = 0;
  let stopped = false;
  const endpoint = `http://127.0.0.1:${port}`;

  const launch = async () => {
    runs += 1;
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(Deno.env.get("JAVA_BIN") ?? "java", {
        args: [
          "-Xmx256m",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-cp",
          classpath,
          "org.gaul.s3proxy.Main",
          "--properties",
          propsPath,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      throw new S3ProxyStartError(
        `cannot run java (${(error as Error).message}); install Java 17 ` +
          "(apt-get install -y openjdk-17-jre-headless) or set JAVA_BIN",
      );
    }
    const out = await captureOutput(child.stdout, { path: join(dir, `s3proxy-${runs}.out`) });
    const err = await captureOutput(child.stderr, { path: join(dir, `s3proxy-${runs}.err`) });
    const next: ServerRun = { child, out, err, exited: false };
    child.status.then(() => next.exited = true);
    run = next;
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline && !next.exited) {
      if (await answersHttp(endpoint)) return;
      await delay(100);
    }
    const why = next.exited ? "exited" : `did not answer within ${startTimeoutMs} ms`;
    await terminate(next);
    run = undefined;
    throw new S3ProxyStartError(
      `s3proxy ${why}; output tail:\n${next.out.tail(20)}\n${next.err.tail(20)}`,
    );
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (run) await terminate(run);
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
    endpoint,
    port,
    dataDir,
    accessKeyId: S3PROXY_ACCESS_KEY,
    secretAccessKey: S3PROXY_SECRET_KEY,
    log: () => (run?.out.text() ?? "") + (run?.err.text() ?? ""),
    awsEnv: () => ({
      AWS_ACCESS_KEY_ID: S3PROXY_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: S3PROXY_SECRET_KEY,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
    }),
    restart: async (restartOptions = {}) => {
      if (stopped) throw new S3ProxyStartError("restart() after stop()");
      if (run) await terminate(run);
      run = undefined;
      if ((restartOptions.downMs ?? 0) > 0) await delay(restartOptions.downMs!);
      await launch();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

interface ServerRun {
  child: Deno.ChildProcess;
  out: Capture;
  err: Capture;
  exited: boolean;
}

/** True when something on `endpoint` answers an HTTP request (any status). */
async function answersHttp(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    // S3Proxy answers an anonymous GET / with an S3 error document.
    return response.headers.get("server")?.includes("Jetty") === true ||
      response.status === 403 || response.status === 200;
  } catch {
    return false;
  }
}

async function terminate(run: ServerRun): Promise<void> {
  if (!run.exited) {
    try {
      run.child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    if (await raceTimeout(run.child.status, 10_000) === TIMED_OUT) {
      try {
        run.child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  await run.child.status;
  await run.out.done;
  await run.err.done;
}
