import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { assert, assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { startS3Proxy } from "../../../tests/harness/s3proxy.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { recordingContext } from "../testing/context.ts";
import { defaultPolygonConfig } from "./config.ts";
import { gzip, quoteLines, tradeLines, writeGzFile } from "./fixtures.ts";
import { createPolygonInput } from "./mod.ts";
import { compareKeys, localSource, meterStream, SourceReadError } from "./source.ts";
import { startThrottledProxy } from "./testdata/throttled_proxy.ts";

Deno.test("localSource lists .csv.gz and .csv files recursively in key order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeGzFile(`${dir}/b/2024-04-05.csv.gz`, ["x"]);
    await writeGzFile(`${dir}/a/z.csv.gz`, ["x"]);
    await Deno.writeTextFile(`${dir}/b/2024-04-04.csv`, "x\n");
    await Deno.writeTextFile(`${dir}/b/notes.txt`, "x\n");
    await Deno.writeTextFile(`${dir}/b/2024-04-06.csv.gz.part`, "x\n");
    const source = localSource(dir);
    const files = await source.list();
    assertEquals(files.map((f) => f.key), [
      "a/z.csv.gz",
      "b/2024-04-04.csv",
      "b/2024-04-05.csv.gz",
    ]);
    assertEquals(files[1]!.size, 2);
    await assertRejects(() => source.open("missing.csv.gz"), SourceReadError);
    await assertRejects(() => localSource(`${dir}/nope`).list(), SourceReadError);
    (await source.open("b/2024-04-04.csv")).cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compareKeys orders by code units, not locale", () => {
  assertEquals(["b", "B", "a", "_"].sort(compareKeys), ["B", "_", "a", "b"]);
});

Deno.test("meterStream counts bytes and marks failed reads as SourceReadError", async () => {
  let bytes = 0;
  const failing = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new Uint8Array(10));
    },
    pull(c) {
      c.error(new Error("connection reset"));
    },
  });
  const reader = meterStream(failing, (n) => bytes += n).getReader();
  assertEquals((await reader.read()).value?.length, 10);
  await assertRejects(() => reader.read(), SourceReadError, "connection reset");
  assertEquals(bytes, 10);
});

Deno.test("meterStream fails a read that stalls longer than readTimeoutMs, and cancels the source", async () => {
  let cancelled = false;
  const silent = new ReadableStream<Uint8Array>({
    pull: () => new Promise(() => {}),
    cancel() {
      cancelled = true;
    },
  });
  const reader = meterStream(silent, () => {}, 50).getReader();
  await assertRejects(() => reader.read(), SourceReadError, "no data for 50 ms");
  assertEquals(cancelled, true);
});

Deno.test("polygon replays flat files from an S3 bucket (S3Proxy)", async () => {
  await using s3 = await startS3Proxy({ buckets: ["flatfiles"] });
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  try {
    const put = async (key: string, lines: string[]) =>
      await client.send(
        new PutObjectCommand({
          Bucket: "flatfiles",
          Key: key,
          Body: await gzip(lines.join("\n") + "\n"),
        }),
      );
    await put("us_stocks_sip/trades_v1/2024/04/2024-04-05.csv.gz", tradeLines({ rows: 1200 }));
    await put("us_stocks_sip/quotes_v1/2024/04/2024-04-05.csv.gz", quoteLines({ rows: 300 }));
    await put("us_stocks_sip/trades_v1/2024/04/README.md", ["not a flat file"]);
    await put("other/trades.csv.gz", tradeLines({ rows: 5 }));
  } finally {
    client.destroy();
  }

  const ctx = recordingContext();
  const config = {
    ...defaultPolygonConfig(),
    source: "s3" as const,
    progress: false,
    s3: {
      ...defaultPolygonConfig().s3,
      endpoint: s3.endpoint,
      access_key_id: s3.accessKeyId,
      secret_access_key: s3.secretAccessKey,
    },
  };
  const input = createPolygonInput(config, ctx);
  await input.start();
  await input.done;
  await input.stop();
  assertEquals(ctx.rows.trades.length, 1200, "only the prefix us_stocks_sip/ is replayed");
  assertEquals(ctx.rows.quotes.length, 300);
  assertEquals(input.stats().files, 2);
});

Deno.test("polygon retries an S3 download reset mid-file and writes every row once", async () => {
  await using s3 = await startS3Proxy({ buckets: ["flatfiles"] });
  // Throttled, so the reset lands while the object is still on the wire.
  await using proxy = startThrottledProxy(s3.port, 2 * 1024 * 1024);
  const credentials = { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
  const ROWS = 300_000;
  const object = await gzip(tradeLines({ rows: ROWS, tickers: ["A", "B", "C"] }).join("\n") + "\n");
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials,
  });
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: "flatfiles",
        Key: "us_stocks_sip/trades_v1/2024/04/2024-04-05.csv.gz",
        Body: object,
      }),
    );
  } finally {
    client.destroy();
  }
  const ctx = recordingContext();
  const input = createPolygonInput({
    ...defaultPolygonConfig(),
    source: "s3",
    progress: false,
    batch_rows: 2000,
    s3: {
      ...defaultPolygonConfig().s3,
      endpoint: `http://127.0.0.1:${proxy.port}`,
      access_key_id: credentials.accessKeyId,
      secret_access_key: credentials.secretAccessKey,
    },
  }, ctx);
  try {
    await input.start();
    await waitFor(() => ctx.rows.trades.length >= 2000 && proxy.forwarded > object.length / 4, {
      timeoutMs: 30_000,
      message: "a quarter of the object downloaded",
    });
    const atReset = proxy.forwarded;
    proxy.reset();
    assert(atReset < object.length, `reset after ${atReset} of ${object.length} bytes`);
    await waitFor(() => ctx.rows.trades.length >= ROWS && input.stats().files === 1, {
      timeoutMs: 40_000,
      message: "every row after the reset",
    }).catch((e) => {
      console.error(JSON.stringify({ rows: ctx.rows.trades.length, stats: input.stats() }));
      throw e;
    });
  } finally {
    await input.stop();
  }
  assertEquals(ctx.rows.trades.length, ROWS);
  assertEquals(new Set(ctx.rows.trades.map((t) => t.trade_id)).size, ROWS);
  assertEquals(input.stats().source_retries >= 1, true, "the reset was seen and retried");
  assertEquals(ctx.rejections.size, 0, JSON.stringify(Object.fromEntries(ctx.rejections)));
});
