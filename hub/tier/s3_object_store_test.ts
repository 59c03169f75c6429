import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { defaultTierConfig } from "./config.ts";
import { S3ObjectStore } from "./s3_object_store.ts";

// The S3 behaviour itself (put, multipart, head, list, download, faults) is
// tested against a real S3Proxy in tests/integration/tier_*_test.ts.

Deno.test("S3ObjectStore describes its bucket and prefix, and fails when nothing answers", async () => {
  const store = new S3ObjectStore({
    ...defaultTierConfig().s3,
    endpoint: "http://127.0.0.1:9",
    bucket: "cold",
    prefix: "hub-1/",
    access_key_id: "k",
    secret_access_key: "s",
    max_attempts: 1,
  });
  try {
    assertEquals(store.description, "s3://cold/hub-1/");
    await assertRejects(() => store.head("x"));
  } finally {
    store.close();
    store.close();
  }
});
