import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { serveHttp } from "./server.ts";

Deno.test("serveHttp binds a free port for port 0, serves, and stops idempotently", async () => {
  const server = serveHttp({ hostname: "127.0.0.1", port: 0 }, () => new Response("hi"));
  try {
    assertEquals(server.url, `http://127.0.0.1:${server.port}`);
    const response = await fetch(`${server.url}/`);
    assertEquals(await response.text(), "hi");
  } finally {
    await server.stop();
    await server.stop();
  }
  await assertRejects(() => fetch(`${server.url}/`), TypeError);
});
