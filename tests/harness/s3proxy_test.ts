import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { join } from "node:path";
import { s3proxyProperties, startS3Proxy } from "./s3proxy.ts";

Deno.test("s3proxyProperties uses the filesystem backend on loopback", () => {
  const text = s3proxyProperties(1234, "/tmp/x");
  assert(text.includes("s3proxy.endpoint=http://127.0.0.1:1234"));
  assert(text.includes("jclouds.provider=filesystem"));
  assert(text.includes("jclouds.filesystem.basedir=/tmp/x"));
});

Deno.test("startS3Proxy serves a bucket the aws CLI can write and list, and stops", async () => {
  const s3 = await startS3Proxy({ buckets: ["probe"] });
  try {
    const file = join(s3.dataDir, "..", "hello.txt");
    await Deno.writeTextFile(file, "hello");
    const aws = (...args: string[]) =>
      new Deno.Command("aws", {
        args: ["--endpoint-url", s3.endpoint, ...args],
        env: s3.awsEnv(),
        stdout: "piped",
        stderr: "piped",
      }).output();
    const put = await aws("s3", "cp", file, "s3://probe/a/hello.txt");
    assertEquals(put.code, 0, new TextDecoder().decode(put.stderr));
    const list = await aws("s3api", "list-objects-v2", "--bucket", "probe");
    assertEquals(list.code, 0, new TextDecoder().decode(list.stderr));
    const keys = JSON.parse(new TextDecoder().decode(list.stdout)).Contents.map(
      (c: { Key: string }) => c.Key,
    );
    assertEquals(keys, ["a/hello.txt"]);
  } finally {
    await s3.stop();
  }
  // Stopped: nothing answers on the port any more.
  const refused = await fetch(s3.endpoint, { signal: AbortSignal.timeout(2_000) }).then(
    async (r) => {
      await r.body?.cancel();
      return false;
    },
    () => true,
  );
  assert(refused, "s3proxy still answers after stop()");
});
