/**
 * A loopback TCP proxy that slows the server-to-client direction to a fixed
 * rate and can reset every connection, for the S3 reset test: without the
 * throttle, loopback socket buffers (tcp_rmem up to 32 MiB) take a whole
 * test object at once, so a reset "mid-file" would cut nothing.
 *
 * @module
 */

/** A running proxy. */
export interface ThrottledProxy {
  readonly port: number;
  /** Bytes forwarded from the server to clients so far. */
  readonly forwarded: number;
  /** Closes every open connection (the client sees its download break). */
  reset(): void;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const CHUNK = 16 * 1024;

/** Forwards `127.0.0.1:<port>` to `127.0.0.1:targetPort`, at most `bytesPerS` downstream. */
export function startThrottledProxy(targetPort: number, bytesPerS: number): ThrottledProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const pumps = new Set<Promise<void>>();
  let forwarded = 0;
  let stopped = false;
  const close = (conn: Deno.Conn) => {
    if (!conns.delete(conn)) return;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  const pump = async (from: Deno.Conn, to: Deno.Conn, throttle: boolean) => {
    const buf = new Uint8Array(CHUNK);
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
        if (throttle) {
          forwarded += n;
          await new Promise((r) => setTimeout(r, (n / bytesPerS) * 1000));
        }
      }
    } catch {
      // A reset or the other side closing: both sides are closed below.
    } finally {
      close(from);
      close(to);
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      if (stopped) {
        client.close();
        continue;
      }
      let upstream: Deno.Conn;
      try {
        upstream = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
      } catch {
        client.close();
        continue;
      }
      conns.add(client);
      conns.add(upstream);
      for (const p of [pump(client, upstream, false), pump(upstream, client, true)]) {
        pumps.add(p);
        p.finally(() => pumps.delete(p));
      }
    }
  })();
  const reset = () => {
    for (const conn of [...conns]) close(conn);
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    listener.close();
    await accepting.catch(() => {});
    reset();
    await Promise.all([...pumps]);
  };
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get forwarded() {
      return forwarded;
    },
    reset,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
