/**
 * The Parquet tier on a real S3-compatible server (S3Proxy): objects land
 * Hive-partitioned where the docs say, the aws CLI lists them, pyarrow reads
 * them with the documented schema, a multipart upload verifies, and queries
 * through the hub's query path span hot and cold.
 */
import { join } from "node:path";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { startS3Proxy } from "../harness/s3proxy.ts";
import { openTierTestEnv, SECOND, T0 } from "../../hub/tier/_test_env.ts";
import { insertSyntheticRows } from "../../hub/tier/synthetic_rows.ts";
import { listObjects } from "../../hub/tier/catalog.ts";
import { S3ObjectStore } from "../../hub/tier/s3_object_store.ts";
import { awsCli, awsListKeys, pyarrowDescribe, s3Config } from "./_tier_s3_env.ts";

const HOUR = 3600n * SECOND;

/** The schema docs/storage.md documents, as pyarrow reports it. */
const EXPECTED_SCHEMA: Record<string, [string, string][]> = {
  readings: [
    ["ts", "timestamp[ns]"],
    ["recv_ts", "timestamp[ns]"],
    ["agent", "string"],
    ["sensor", "string"],
    ["metric", "string"],
    ["value", "double"],
    ["unit", "string"],
    ["tags", "extension<arrow.json>"],
    ["ingested_at", "timestamp[ns]"],
  ],
  trades: [
    ["ts", "timestamp[ns]"],
    ["recv_ts", "timestamp[ns]"],
    ["agent", "string"],
    ["symbol", "string"],
    ["price", "double"],
    ["size", "double"],
    ["exchange", "int32"],
    ["conditions", "list<element: int32>"],
    ["trade_id", "string"],
    ["ingested_at", "timestamp[ns]"],
  ],
};

Deno.test("tiering to S3Proxy: layout, aws CLI listing, pyarrow schema, queries across tiers", async () => {
  await using s3 = await startS3Proxy({ buckets: ["cold"] });
  const store = new S3ObjectStore(s3Config(s3.endpoint, "cold", s3, { prefix: "hub-a/" }));
  const env = await openTierTestEnv({
    store,
    configure: (c) => {
      for (const kind of KINDS) c.kinds[kind].hot_retention_s = 3600;
      c.kinds.trades.partition = "hour";
      c.compact_below_bytes = 0;
      c.kinds.readings.cold_retention_days = 2;
      c.kinds.trades.cold_retention_days = 2;
      c.kinds.trades.cold_action = "archive";
    },
  });
  try {
    const connection = await env.store.connect();
    for (const kind of KINDS) {
      await insertSyntheticRows(connection, kind, {
        fromNs: T0,
        rows: 3 * 720,
        stepNs: 5n * SECOND,
        series: 4,
      });
    }
    connection.closeSync();
    const sql = (kind: string) =>
      `SELECT count(*), count(DISTINCT ts), min(ts), max(ts) FROM ${kind}`;
    const before = await Promise.all(KINDS.map((k) => env.query(sql(k))));
    env.setNow(T0 + 3n * HOUR + 10n * SECOND); // cutoff T0 + 2h: two hours of each kind move
    const report = await env.tier.runPass();
    assertEquals(report.errors, []);
    assertEquals(report.objectsWritten, 8);
    assertEquals(report.rowsTiered, 4 * 2 * 720);

    // An independent client sees exactly the catalogued objects, under the documented layout.
    const keys = await awsListKeys(s3.endpoint, s3.awsEnv(), "cold");
    const check = await env.store.connect();
    const catalog = await listObjects(check);
    check.closeSync();
    assertEquals(keys, catalog.map((o) => `hub-a/${o.key}`).sort());
    for (const key of keys) {
      assert(
        /^hub-a\/kind=(readings|logs|quotes)\/date=2026-11-18\/part-0[01]00-[0-9a-f]{16}\.parquet$/
          .test(key) ||
          /^hub-a\/kind=trades\/date=2026-11-18\/hour=0[01]\/part-0[01]00-[0-9a-f]{16}\.parquet$/
            .test(key),
        `unexpected key ${key}`,
      );
    }

    // pyarrow reads an object of each kind with the documented schema, zstd-compressed.
    for (const kind of ["readings", "trades"] as const) {
      const key = keys.find((k) => k.includes(`kind=${kind}/`))!;
      const file = join(env.dir, `${kind}.parquet`);
      await awsCli(s3.endpoint, s3.awsEnv(), "s3", "cp", `s3://cold/${key}`, file);
      const described = await pyarrowDescribe(file);
      assertEquals(described.schema, EXPECTED_SCHEMA[kind]);
      assertEquals(described.rows, 720);
      assertEquals(described.codecs, ["ZSTD"]);
    }

    // The query path sees hot + cold exactly as before tiering.
    const after = await Promise.all(KINDS.map((k) => env.query(sql(k))));
    assertEquals(after, before);
    // A query bounded in time fetches only the objects it needs.
    const recent = await env.query(
      `SELECT count(*) FROM readings WHERE ts >= TIMESTAMP '2026-11-18 01:00:00'`,
    );
    assertEquals(recent[0]![0], 2n * 720n);

    // Cold retention, days later: readings objects are deleted from the bucket; trades objects
    // are archived and leave queries. S3Proxy ignores the class on a copy, so the store uploads
    // them again with it; the aws CLI (an independent client) sees the class on the server.
    env.setNow(T0 + 5n * 24n * HOUR);
    const expired = await env.tier.runPass();
    assertEquals(expired.errors, []);
    const left = await awsListKeys(s3.endpoint, s3.awsEnv(), "cold");
    assertEquals(left.filter((k) => k.includes("kind=readings/")), []);
    assertEquals(left.filter((k) => k.includes("kind=trades/")).length, 3);
    const check2 = await env.store.connect();
    const trades = await listObjects(check2, { kinds: ["trades"] });
    check2.closeSync();
    assertEquals(trades.map((o) => o.storageClass), ["GLACIER", "GLACIER", "GLACIER"]);
    for (const o of trades) {
      const head = JSON.parse(
        await awsCli(
          s3.endpoint,
          s3.awsEnv(),
          "s3api",
          "head-object",
          "--bucket",
          "cold",
          "--key",
          `hub-a/${o.key}`,
        ),
      ) as { StorageClass?: string; ETag: string };
      assertEquals(head.StorageClass, "GLACIER", o.key);
      assertEquals(head.ETag.replaceAll('"', ""), o.etag, `${o.key} kept its bytes`);
    }
    assertEquals(await env.query("SELECT count(*) FROM trades"), [[0n]]);
    assertEquals(await env.query("SELECT count(*) FROM readings"), [[0n]]);
    assertEquals(await env.query("SELECT count(*) FROM quotes"), [[3n * 720n]]);
  } finally {
    await env.close();
  }
});

Deno.test("S3ObjectStore uploads a large object in parts and its ETag verifies", async () => {
  await using s3 = await startS3Proxy({ buckets: ["cold"] });
  const store = new S3ObjectStore(
    s3Config(s3.endpoint, "cold", s3, {
      multipart_threshold_bytes: 5_242_880,
      part_size_bytes: 5_242_880,
    }),
  );
  const dir = await Deno.makeTempDir({ prefix: "tributary-s3-multipart-" });
  try {
    const file = join(dir, "big.bin");
    const bytes = new Uint8Array(12 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 65536) {
      crypto.getRandomValues(bytes.subarray(i, i + 65536));
    }
    await Deno.writeFile(file, bytes);
    const expected = await store.expectedEtag(file);
    assert(expected.endsWith("-3"), `expected a 3-part ETag, got ${expected}`);
    await store.put("big/object.bin", file, { sha256: "x" });
    const head = await store.head("big/object.bin");
    assertEquals(head?.size, bytes.length);
    assertEquals(head?.etag, expected);
    const back = join(dir, "back.bin");
    await store.download("big/object.bin", back);
    assertEquals(await Deno.readFile(back), bytes);
    await store.delete("big/object.bin");
    assertEquals(await store.head("big/object.bin"), undefined);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
