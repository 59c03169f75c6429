import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { raceTimeout, TIMED_OUT } from "./_timeout.ts";
import { startTcpProxy } from "./tcp_proxy.ts";

/** An echo server on a free loopback port; `stop()` closes it and every connection. */
function startEchoServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.TcpConn>();
  const echoes: Promise<void>[] = [];
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        echoes.push((async () => {
          const buffer = new Uint8Array(4096);
          try {
            while (true) {
              const n = await conn.read(buffer);
              if (n === null) break;
              await conn.write(buffer.subarray(0, n));
            }
          } catch {
            // Closed under us.
          } finally {
            conns.delete(conn);
            try {
              conn.close();
            } catch {
              // Already closed.
            }
          }
        })());
      }
    } catch {
      // Listener closed.
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get connections() {
      return conns.size;
    },
    async stop() {
      listener.close();
      await loop;
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await Promise.all(echoes);
    },
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads until `expected` bytes came, EOF, an error, or `ms` passed. */
async function readSome(
  conn: Deno.TcpConn,
  expected: number,
  ms: number,
): Promise<{ text: string; eof: boolean; timedOut: boolean }> {
  const chunks: string[] = [];
  let got = 0;
  let eof = false;
  const reading = (async () => {
    const buffer = new Uint8Array(4096);
    while (got < expected) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) {
        eof = true;
        return;
      }
      got += n;
      chunks.push(decoder.decode(buffer.subarray(0, n)));
    }
  })();
  const outcome = await raceTimeout(reading, ms);
  if (outcome === TIMED_OUT) {
    // Unblock the pending read so no op outlives the test; the caller drops this conn.
    conn.close();
    await reading;
    return { text: chunks.join(""), eof: false, timedOut: true };
  }
  return { text: chunks.join(""), eof, timedOut: false };
}

function connect(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

Deno.test("tcp proxy forwards both ways, holds a blackholed link and resumes it", async () => {
  const echo = startEchoServer();
  const proxy = await startTcpProxy({ targetPort: echo.port });
  try {
    const a = await connect(proxy.port);
    await a.write(encoder.encode("hello"));
    assertEquals((await readSome(a, 5, 2_000)).text, "hello");
    assertEquals(proxy.openConnections, 1);

    proxy.cut();
    assertEquals(proxy.state, "blackhole");
    await a.write(encoder.encode("held"));
    // A new connection during the cut is accepted but never answered.
    const b = await connect(proxy.port);
    await b.write(encoder.encode("lost"));
    const during = await readSome(b, 4, 300);
    assert(during.timedOut, "no answer during the cut");
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(echo.connections, 1, "nothing reached the target during the cut");

    proxy.restore();
    assertEquals(proxy.state, "up");
    // The connection open before the cut carries on: the held bytes arrive late.
    assertEquals((await readSome(a, 4, 2_000)).text, "held");
    const c = await connect(proxy.port);
    await c.write(encoder.encode("again"));
    assertEquals((await readSome(c, 5, 2_000)).text, "again");
    a.close();
    c.close();
  } finally {
    await proxy.stop();
    await echo.stop();
  }
});

Deno.test("tcp proxy closes connections accepted during a blackhole cut on restore", async () => {
  const echo = startEchoServer();
  const proxy = await startTcpProxy({ targetPort: echo.port });
  try {
    proxy.cut("blackhole");
    const b = await connect(proxy.port);
    await b.write(encoder.encode("x"));
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(proxy.openConnections, 1);
    proxy.restore();
    const after = await readSome(b, 1, 2_000);
    assert(after.eof && after.text === "", "closed by restore, without an answer");
    b.close();
  } finally {
    await proxy.stop();
    await echo.stop();
  }
});

Deno.test("tcp proxy reset mode closes open connections and refuses new ones until restore", async () => {
  const echo = startEchoServer();
  const proxy = await startTcpProxy({ targetPort: echo.port });
  try {
    const a = await connect(proxy.port);
    await a.write(encoder.encode("ping"));
    assertEquals((await readSome(a, 4, 2_000)).text, "ping");

    proxy.cut("reset");
    const cut = await readSome(a, 1, 2_000);
    assert(cut.eof, "open connection closed by the cut");
    a.close();

    const b = await connect(proxy.port);
    const refused = await readSome(b, 1, 2_000);
    assert(refused.eof, "new connection closed at once");
    b.close();

    proxy.restore();
    const c = await connect(proxy.port);
    await c.write(encoder.encode("pong"));
    assertEquals((await readSome(c, 4, 2_000)).text, "pong");
    c.close();
  } finally {
    await proxy.stop();
    await echo.stop();
  }
});

Deno.test("tcp proxy stop() closes everything, even mid-cut, and is idempotent", async () => {
  const echo = startEchoServer();
  const proxy = await startTcpProxy({ targetPort: echo.port });
  const a = await connect(proxy.port);
  await a.write(encoder.encode("1"));
  assertEquals((await readSome(a, 1, 2_000)).text, "1");
  proxy.cut();
  const b = await connect(proxy.port);
  await a.write(encoder.encode("2"));
  await proxy.stop();
  await proxy.stop();
  assertEquals(proxy.openConnections, 0);
  assert((await readSome(a, 1, 2_000)).eof);
  assert((await readSome(b, 1, 2_000)).eof);
  a.close();
  b.close();
  await echo.stop();
  let refused = false;
  try {
    (await connect(proxy.port)).close();
  } catch {
    refused = true;
  }
  assert(refused, "listener closed");
});
