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
import { getFreePort } from "./free_port.ts";
import { classpathOf, mavenFetch } from "./maven_fetch.ts";
import {
  type RestartableServer,
  type ServerProcess,
  spawnServer,
  startRestartable,
} from "./server_process.ts";

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

/**
 * A running S3Proxy; see {@linkcode startS3Proxy}. `log()` is its stdout and
 * stderr; `restart()` keeps the port and the data.
 */
export interface S3Proxy extends RestartableServer {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  /** The filesystem backend's root: one folder per bucket. */
  readonly dataDir: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Environment for the `aws` CLI (credentials, region) against this server. */
  awsEnv(): Record<string, string>;
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

  const endpoint = `http://127.0.0.1:${port}`;
  const server = await startRestartable({
    dir,
    stopGraceMs: STOP_GRACE_MS,
    stoppedError: () => new S3ProxyStartError("restart() after stop()"),
    log: (run) => (run.stdout?.text() ?? "") + run.stderr.text(),
    launch: async (run) => {
      let next: ServerProcess;
      try {
        next = await spawnServer({
          command: Deno.env.get("JAVA_BIN") ?? "java",
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
          stdoutPath: join(dir, `s3proxy-${run}.out`),
          stderrPath: join(dir, `s3proxy-${run}.err`),
        });
      } catch (error) {
        throw new S3ProxyStartError(
          `cannot run java (${(error as Error).message}); install Java 17 ` +
            "(apt-get install -y openjdk-17-jre-headless) or set JAVA_BIN",
        );
      }
      const up = await next.waitUntilReady(() => answersHttp(endpoint), {
        timeoutMs: startTimeoutMs,
        intervalMs: 100,
      });
      if (up === "ready") return next;
      const why = up === "exited" ? "exited" : `did not answer within ${startTimeoutMs} ms`;
      await next.stop("SIGTERM", STOP_GRACE_MS);
      throw new S3ProxyStartError(`s3proxy ${why}; output tail:\n${next.tail(20)}`);
    },
  });

  return {
    ...server,
    endpoint,
    port,
    dataDir,
    accessKeyId: S3PROXY_ACCESS_KEY,
    secretAccessKey: S3PROXY_SECRET_KEY,
    awsEnv: () => ({
      AWS_ACCESS_KEY_ID: S3PROXY_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: S3PROXY_SECRET_KEY,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
    }),
  };
}

/** How long a stopping server may take after SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

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
