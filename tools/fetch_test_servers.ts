/**
 * Pre-fetches every Maven-based test server (Apache Kafka; S3Proxy adds its
 * line) into `.cache/maven/`, so CI fetches once, before the tests, and a test
 * never waits on Maven Central. Prints each server's jar count, size and the
 * seconds it took (0 s when already cached). Exits 1 if any fetch fails.
 *
 * Usage: `deno run -A tools/fetch_test_servers.ts`
 *
 * @module
 */
import { fetchKafka, KAFKA_VERSION } from "../tests/harness/kafka.ts";
import { libSize } from "../tests/harness/maven_fetch.ts";
import { fetchS3Proxy, S3PROXY_VERSION } from "../tests/harness/s3proxy.ts";

/** One server to fetch: a label and the helper that fetches it (returns its lib dir). */
interface TestServer {
  name: string;
  fetch: () => Promise<string>;
}

const SERVERS: TestServer[] = [
  { name: `kafka ${KAFKA_VERSION}`, fetch: fetchKafka },
  { name: `s3proxy ${S3PROXY_VERSION}`, fetch: fetchS3Proxy },
];

let failed = 0;
for (const server of SERVERS) {
  const started = performance.now();
  try {
    const lib = await server.fetch();
    const { jars, bytes } = await libSize(lib);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `${server.name}: ${jars} jars, ${
        (bytes / 1024 / 1024).toFixed(1)
      } MiB in ${lib} (${seconds} s)`,
    );
  } catch (error) {
    failed++;
    console.error(`${server.name}: fetch failed: ${(error as Error).message}`);
  }
}
if (failed > 0) Deno.exit(1);
