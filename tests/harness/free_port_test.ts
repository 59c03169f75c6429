import { assert } from "@tributary/shared/testing/asserts";
import { getFreePort } from "./free_port.ts";

Deno.test("getFreePort returns a port that can be listened on", () => {
  const port = getFreePort();
  assert(port > 0 && port < 65536, `port out of range: ${port}`);
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  try {
    assert((listener.addr as Deno.NetAddr).port === port);
  } finally {
    listener.close();
  }
});
