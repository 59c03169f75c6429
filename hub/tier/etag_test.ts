import { assertEquals } from "@tributary/shared/testing/asserts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { md5File, multipartEtag, sha256File } from "./etag.ts";

Deno.test("md5File, sha256File and multipartEtag match the S3 definitions", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = new Uint8Array(2500).map((_, i) => i % 253);
    const file = join(dir, "f");
    await Deno.writeFile(file, bytes);
    assertEquals(await md5File(file), createHash("md5").update(bytes).digest("hex"));
    assertEquals(await sha256File(file), createHash("sha256").update(bytes).digest("hex"));
    const parts = [bytes.subarray(0, 1000), bytes.subarray(1000, 2000), bytes.subarray(2000)];
    const outer = createHash("md5");
    for (const part of parts) outer.update(createHash("md5").update(part).digest());
    assertEquals(await multipartEtag(file, 1000), `${outer.digest("hex")}-3`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
