import { assert } from "@tributary/shared/testing/asserts";
import { mallocInfo, mallocInUse } from "./glibc_malloc.ts";

Deno.test("mallocInfo reads glibc's heap figures on this glibc machine", () => {
  const info = mallocInfo();
  assert(info !== undefined, "this machine runs glibc 2.33+");
  // Deno itself allocates through malloc: some bytes are in use, none negative.
  assert(info.inUse > 1024 * 1024, JSON.stringify(info));
  assert(info.free >= 0 && info.mmapped >= 0, JSON.stringify(info));
  assert(mallocInUse() > 0);
});
