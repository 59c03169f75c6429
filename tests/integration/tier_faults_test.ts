/**
 * Tiering faults against a real S3-compatible server (S3Proxy): S3
 * unreachable, and the link reset in the middle of a multipart upload. In
 * each case the pass fails, nothing leaves the hot store, every row is still
 * answered exactly once, and a later pass finishes the job with no stray objects.
 */
import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { ColdTierUnavailable } from "../../hub/tier/query_tiers.ts";
import { getFreePort } from "../harness/free_port.ts";
import { startS3Proxy } from "../harness/s3proxy.ts";
import { startTcpProxy } from "../harness/tcp_proxy.ts";
import { openTierTestEnv, SECOND, T0, type TierTestEnv } from "../../hub/tier/_test_env.ts";
import { insertSyntheticRows } from "../../hub/tier/synthetic_rows.ts";
import { listObjects } from "../../hub/tier/catalog.ts";
import { S3ObjectStore } from "../../hub/tier/s3_object_store.ts";
import { S3PROXY_ACCESS_KEY, S3PROXY_SECRET_KEY } from "../harness/s3proxy.ts";
import { awsListKeys, s3Config } from "./_tier_s3_env.ts";

const HOUR = 3600n * SECOND;
const KEYS = { accessKeyId: S3PROXY_ACCESS_KEY, secretAccessKey: S3PROXY_SECRET_KEY };

async function scalar(env: TierTestEnv, sql: string): Promise<bigint> {
  return (await env.query(sql))[0]![0] as bigint;
}

async function hotRows(env: TierTestEnv, kind: string): Promise<bigint> {
  const connection = await env.store.connect();
  try {
    return (await connection.runAndReadAll(`SELECT count(*) FROM ${kind}`))
      .getRows()[0]![0] as bigint;
  } finally {
    connection.closeSync();
  }
}

async function catalogKeys(env: TierTestEnv): Promise<string[]> {
  const connection = await env.store.connect();
  try {
    return (await listObjects(connection)).map((o) => o.key).sort();
  } finally {
    connection.closeSync();
  }
}

Deno.test("S3 unreachable: the pass fails, rows stay hot, and tiering completes once S3 is back", async () => {
  const port = getFreePort();
  const store = new S3ObjectStore(s3Config(`http://127.0.0.1:${port}`, "cold", KEYS));
  const env = await openTierTestEnv({
    store,
    configure: (c) => {
      c.kinds.readings.hot_retention_s = 3600;
    },
  });
  try {
    const connection = await env.store.connect();
    await insertSyntheticRows(connection, "readings", {
      fromNs: T0,
      rows: 3 * 360,
      stepNs: 10n * SECOND,
    });
    connection.closeSync();
    env.setNow(T0 + 3n * HOUR);
    const failed = await env.tier.runPass();
    assert(failed.errors.some((e) => e.startsWith("tier:")), JSON.stringify(failed.errors));
    assertEquals(failed.rowsTiered, 0);
    assertEquals(await hotRows(env, "readings"), 3n * 360n);
    assertEquals(await catalogKeys(env), []);
    assertEquals(await scalar(env, "SELECT count(*) FROM readings"), 3n * 360n);

    await using s3 = await startS3Proxy({ buckets: ["cold"], port });
    const ok = await env.tier.runPass();
    assertEquals(ok.errors, []);
    assertEquals(ok.rowsTiered, 2 * 360);
    assertEquals(await hotRows(env, "readings"), 360n);
    assertEquals(await scalar(env, "SELECT count(*) FROM readings"), 3n * 360n);
    assertEquals(await awsListKeys(s3.endpoint, s3.awsEnv(), "cold"), await catalogKeys(env));
  } finally {
    await env.close();
  }
});

Deno.test("upload interrupted: a link reset mid multipart upload leaves rows hot and no stray object", async () => {
  await using s3 = await startS3Proxy({ buckets: ["cold"] });
  await using proxy = await startTcpProxy({ targetPort: s3.port });
  const store = new S3ObjectStore(
    s3Config(`http://127.0.0.1:${proxy.port}`, "cold", KEYS, {
      multipart_threshold_bytes: 5_242_880,
      part_size_bytes: 5_242_880,
    }),
  );
  const env = await openTierTestEnv({
    store,
    configure: (c) => {
      c.kinds.logs.hot_retention_s = 3600;
      c.compact_below_bytes = 0;
    },
  });
  try {
    const connection = await env.store.connect();
    // Hard-to-compress messages, so one hour of logs is a Parquet file of several parts.
    await connection.run(`INSERT INTO logs
      SELECT make_timestamp_ns(${T0}::BIGINT + i * 10000000::BIGINT), make_timestamp_ns(${T0}::BIGINT),
        'agent-1', 'app', 'info', md5(i::VARCHAR) || md5((i * 7)::VARCHAR) || md5((i * 13)::VARCHAR),
        '{}', make_timestamp_ns(${T0}::BIGINT)
      FROM range(300000) t(i)`);
    connection.closeSync();
    env.setNow(T0 + 2n * HOUR);
    // Reset the link as soon as the upload has opened a connection and sent for a moment.
    const baseline = proxy.acceptedConnections;
    let cut = false;
    const cutter = (async () => {
      const deadline = Date.now() + 30_000;
      while (!cut && Date.now() < deadline) {
        if (proxy.acceptedConnections > baseline) {
          await new Promise((r) => setTimeout(r, 30));
          proxy.cut("reset");
          cut = true;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const failed = await env.tier.runPass();
    cut = true;
    await cutter;
    assert(failed.errors.some((e) => e.startsWith("tier:")), JSON.stringify(failed.errors));
    assertEquals(await hotRows(env, "logs"), 300_000n);
    assertEquals(await catalogKeys(env), []);
    assertEquals(await scalar(env, "SELECT count(*) FROM logs"), 300_000n);

    proxy.restore();
    const ok = await env.tier.runPass();
    assertEquals(ok.errors, []);
    assertEquals(ok.rowsTiered, 300_000);
    assertEquals(await hotRows(env, "logs"), 0n);
    assertEquals(await scalar(env, "SELECT count(*), count(DISTINCT message) FROM logs"), 300_000n);
    const keys = await catalogKeys(env);
    assertEquals(keys.length, 1);
    assertEquals(await awsListKeys(s3.endpoint, s3.awsEnv(), "cold"), keys);
    const connection2 = await env.store.connect();
    const [object] = await listObjects(connection2);
    connection2.closeSync();
    assert(object!.etag.endsWith("-2") || object!.etag.match(/-\d+$/), object!.etag);
    assert(object!.sizeBytes > 5_242_880, `object of ${object!.sizeBytes} bytes is not multipart`);
  } finally {
    await env.close();
  }
});

Deno.test("S3 behind a dead link (no answer, no reset): the pass times out and rows stay hot", async () => {
  await using s3 = await startS3Proxy({ buckets: ["cold"] });
  await using proxy = await startTcpProxy({ targetPort: s3.port });
  const store = new S3ObjectStore(
    s3Config(`http://127.0.0.1:${proxy.port}`, "cold", KEYS, {
      request_timeout_ms: 1_500,
      max_attempts: 2,
    }),
  );
  const env = await openTierTestEnv({
    store,
    configure: (c) => {
      c.kinds.quotes.hot_retention_s = 3600;
    },
    queryTimeoutMs: 1_000,
  });
  try {
    const connection = await env.store.connect();
    await insertSyntheticRows(connection, "quotes", {
      fromNs: T0,
      rows: 720,
      stepNs: 10n * SECOND,
    });
    connection.closeSync();
    env.setNow(T0 + 3n * HOUR);
    proxy.cut("blackhole");
    const started = Date.now();
    const failed = await env.tier.runPass();
    const seconds = (Date.now() - started) / 1000;
    assert(failed.errors.some((e) => e.startsWith("tier:")), JSON.stringify(failed.errors));
    assert(seconds < 30, `the pass took ${seconds} s`);
    assertEquals(await hotRows(env, "quotes"), 720n);
    proxy.restore();
    const ok = await env.tier.runPass();
    assertEquals(ok.errors, []);
    assertEquals(await hotRows(env, "quotes"), 0n);
    assertEquals(await awsListKeys(s3.endpoint, s3.awsEnv(), "cold"), await catalogKeys(env));

    // A query needing cold objects while the link is dead is refused within its time limit.
    proxy.cut("blackhole");
    const asked = Date.now();
    await assertRejects(() => env.query("SELECT count(*) FROM quotes"), ColdTierUnavailable);
    assert(Date.now() - asked < 5_000, `refused after ${Date.now() - asked} ms`);
    // Let the abandoned download run out its attempts (2 x 1.5 s) before the link returns.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    proxy.restore();
    assertEquals(await scalar(env, "SELECT count(*) FROM quotes"), 720n);
  } finally {
    await env.close();
  }
});
