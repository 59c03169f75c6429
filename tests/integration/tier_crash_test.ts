/**
 * A hub process SIGKILLed between a verified upload and the transaction that
 * records the object and deletes its rows from the hot store: after restart
 * every row is still answered exactly once, the uploaded object (no catalog
 * row) is never read and is deleted by the next pass, which then tiers the
 * window again.
 */
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { startS3Proxy } from "../harness/s3proxy.ts";
import { openTierTestEnv, SECOND, T0 } from "../../hub/tier/_test_env.ts";
import { garbageKeys, listObjects } from "../../hub/tier/catalog.ts";
import { S3ObjectStore } from "../../hub/tier/s3_object_store.ts";
import { awsListKeys, s3Config } from "./_tier_s3_env.ts";

Deno.test("crash between upload and hot delete: nothing lost, nothing twice, orphan removed", async () => {
  await using s3 = await startS3Proxy({ buckets: ["cold"] });
  const dir = await Deno.makeTempDir({ prefix: "tributary-tier-crash-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_tier_crash_child.ts", import.meta.url).pathname,
        dir,
        s3.endpoint,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let output = "";
    const stderr = new Response(child.stderr).text();
    const decoder = new TextDecoder();
    let uploadedKey: string | undefined;
    for await (const chunk of child.stdout) {
      output += decoder.decode(chunk, { stream: true });
      const match = output.match(/UPLOADED (\S+)/);
      if (match) {
        uploadedKey = match[1];
        child.kill("SIGKILL");
        break;
      }
    }
    const status = await child.status;
    await child.stdout.cancel().catch(() => {});
    const errText = await stderr;
    assert(uploadedKey, `child never reached the fault point: ${output}\n${errText}`);
    assertEquals(status.signal, "SIGKILL");
    // The object is in the bucket: the crash came after a complete, verified upload.
    assertEquals(await awsListKeys(s3.endpoint, s3.awsEnv(), "cold"), [uploadedKey]);

    const env = await openTierTestEnv({
      dir,
      store: new S3ObjectStore(s3Config(s3.endpoint, "cold", s3)),
      configure: (c) => {
        c.kinds.readings.hot_retention_s = 3600;
        c.compact_below_bytes = 0; // one object per hour, to count them
      },
      now: T0 + 3n * 3600n * SECOND,
    });
    try {
      const connection = await env.store.connect();
      assertEquals(await listObjects(connection), []);
      assertEquals(await garbageKeys(connection), [uploadedKey]);
      const hot = await connection.runAndReadAll("SELECT count(*) FROM main.readings");
      assertEquals(hot.getRows()[0]![0], 3n * 360n);
      // The orphan is not read: the query path sees each row once.
      assertEquals(
        (await env.query("SELECT count(*), count(DISTINCT ts) FROM readings"))[0],
        [3n * 360n, 3n * 360n],
      );
      const report = await env.tier.runPass();
      assertEquals(report.errors, []);
      assertEquals(report.garbageDeleted, 1);
      assertEquals(report.rowsTiered, 2 * 360);
      const keys = (await listObjects(connection)).map((o) => o.key).sort();
      connection.closeSync();
      assertEquals(keys.length, 2);
      assert(!keys.includes(uploadedKey!));
      assertEquals(await awsListKeys(s3.endpoint, s3.awsEnv(), "cold"), keys);
      assertEquals(
        (await env.query("SELECT count(*), count(DISTINCT ts) FROM readings"))[0],
        [3n * 360n, 3n * 360n],
      );
    } finally {
      await env.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
