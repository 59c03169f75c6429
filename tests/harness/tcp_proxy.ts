/**
 * A loopback TCP proxy that a test controls, to cut the link between two
 * processes (e.g. an agent and its MQTT broker) and restore it.
 *
 * It listens on `127.0.0.1:<free port>` and forwards every accepted
 * connection to `targetHost:targetPort`, bytes unchanged, in both directions.
 *
 * Two ways to cut the link, {@linkcode CutMode}:
 *
 * - `"blackhole"` (the default) models a dead link: a cable pulled, a radio
 *   out of range, a NAT or firewall silently dropping packets. Nothing fails
 *   at once; connections just go quiet and only the endpoints' own timers
 *   (MQTT keepalive, send timeouts, connect timeouts) find out.
 *   - Open connections stay open but nothing is forwarded, in either
 *     direction: the proxy stops reading, so bytes wait in the socket buffers
 *     (like segments TCP keeps retransmitting) and a writer eventually blocks.
 *     At most one read chunk per direction, already taken in, is held by the
 *     proxy until `restore()`. An endpoint that closes its side during the
 *     cut is not seen by the other side until `restore()`.
 *   - New connections are accepted (the kernel completes the handshake; a
 *     listener cannot drop SYNs) but held: nothing is read from them and no
 *     upstream connection is made, so the client's protocol handshake (e.g.
 *     MQTT CONNECT) never gets an answer.
 *   - `restore()` resumes forwarding on the connections that were open before
 *     the cut (TCP outlives a cut of a few minutes, so the late bytes are
 *     delivered, as a real network would), and closes the ones accepted
 *     during the cut: their SYN "never arrived", so they never reached the
 *     target, and their clients have usually given up on them anyway.
 * - `"reset"` models a link that fails loudly (an interface going down on
 *   the host itself, a peer rebooting): every open connection is closed at
 *   once, and new connections are closed as soon as they are accepted, until
 *   `restore()`.
 *
 * @example
 * ```ts
 * await using proxy = await startTcpProxy({ targetPort: broker.port });
 * // point the client at proxy.port ...
 * proxy.cut(); // blackhole
 * proxy.restore();
 * ```
 *
 * @module
 */

/** How {@linkcode TcpProxy.cut} cuts the link; see the module documentation. */
export type CutMode = "blackhole" | "reset";

/** Options of {@linkcode startTcpProxy}. */
export interface TcpProxyOptions {
  /** Where connections are forwarded. @default "127.0.0.1" */
  targetHost?: string;
  /** The target's port. */
  targetPort: number;
}

/** A running proxy; see {@linkcode startTcpProxy}. */
export interface TcpProxy {
  /** Always `127.0.0.1`. */
  readonly hostname: string;
  /** The port the proxy listens on. */
  readonly port: number;
  /** `"up"`, or the mode of the cut in force. */
  readonly state: "up" | CutMode;
  /** Client connections currently open (forwarded or held). */
  readonly openConnections: number;
  /** Client connections accepted since start. */
  readonly acceptedConnections: number;
  /** Cuts the link (see {@linkcode CutMode}); a second cut switches the mode. */
  cut(mode?: CutMode): void;
  /** Ends a cut; new connections are forwarded again. Idempotent. */
  restore(): void;
  /** Closes the listener and every connection and waits for all of it. Idempotent. */
  stop(): Promise<void>;
  /** Same as `stop()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const CHUNK_BYTES = 64 * 1024;

/** One client connection and, once made, its upstream connection. */
interface Link {
  client: Deno.TcpConn;
  upstream: Deno.TcpConn | undefined;
  /** True when accepted during a blackhole cut: never forwarded. */
  held: boolean;
  closed: boolean;
  /** Settles when both pumps (or the hold) are over and both sockets closed. */
  done: Promise<void>;
}

/**
 * Starts the proxy and resolves once it listens.
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy({ targetPort: 1883 });
 * console.log(`mqtt://127.0.0.1:${proxy.port}`);
 * await proxy.stop();
 * ```
 */
export function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const targetHost = options.targetHost ?? "127.0.0.1";
  const targetPort = options.targetPort;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
  const port = (listener.addr as Deno.NetAddr).port;
  const links = new Set<Link>();
  let state: "up" | CutMode = "up";
  let stopped = false;
  let accepted = 0;
  /** Pumps wait on this while the link is blackholed. */
  let gate: { promise: Promise<void>; open: () => void } | undefined;

  const closeLink = (link: Link) => {
    if (link.closed) return;
    link.closed = true;
    for (const conn of [link.client, link.upstream]) {
      try {
        conn?.close();
      } catch {
        // Already closed.
      }
    }
  };

  /** Resolves at once when forwarding is allowed, else when the cut ends. */
  const passable = (): Promise<void> | undefined => gate?.promise;

  const pump = async (link: Link, from: Deno.TcpConn, to: Deno.TcpConn): Promise<void> => {
    const buffer = new Uint8Array(CHUNK_BYTES);
    try {
      while (!link.closed) {
        await passable();
        if (link.closed) return;
        const n = await from.read(buffer);
        if (n === null) {
          // Half-close: pass the FIN on, let the other direction finish.
          await passable();
          if (!link.closed) await to.closeWrite().catch(() => {});
          return;
        }
        // Bytes read just before or during a cut are held until restore().
        await passable();
        if (link.closed) return;
        let written = 0;
        while (written < n) written += await to.write(buffer.subarray(written, n));
      }
    } catch {
      // Reset, closed by us, or the peer went away: end the whole link.
      closeLink(link);
    }
  };

  const forward = async (link: Link): Promise<void> => {
    try {
      link.upstream = await Deno.connect({ hostname: targetHost, port: targetPort });
    } catch {
      closeLink(link);
      return;
    }
    if (link.closed || stopped) {
      // Cut (reset) or stopped while connecting: the client side is already closed.
      link.upstream.close();
      link.upstream = undefined;
      closeLink(link);
      return;
    }
    await Promise.all([
      pump(link, link.client, link.upstream),
      pump(link, link.upstream, link.client),
    ]);
    closeLink(link);
  };

  /** Ends of the holds of connections accepted during a blackhole cut. */
  const heldReleases = new Map<Link, () => void>();
  const releaseHeld = (link: Link) => {
    closeLink(link);
    heldReleases.get(link)?.();
    heldReleases.delete(link);
  };

  const handle = (client: Deno.TcpConn): void => {
    accepted += 1;
    const link: Link = {
      client,
      upstream: undefined,
      held: false,
      closed: false,
      done: Promise.resolve(),
    };
    if (state === "reset" || stopped) {
      closeLink(link);
      return;
    }
    links.add(link);
    if (state === "blackhole") {
      // Held: not read, not forwarded; restore() or stop() closes it.
      link.held = true;
      let release!: () => void;
      link.done = new Promise<void>((resolve) => release = resolve);
      heldReleases.set(link, release);
    } else {
      link.done = forward(link);
    }
    link.done.finally(() => links.delete(link));
  };

  const acceptLoop = (async () => {
    try {
      for await (const conn of listener) handle(conn);
    } catch {
      // The listener was closed by stop().
    }
  })();

  const openGate = () => {
    const g = gate;
    gate = undefined;
    g?.open();
  };

  const proxy: TcpProxy = {
    hostname: "127.0.0.1",
    port,
    get state() {
      return state;
    },
    get openConnections() {
      return links.size;
    },
    get acceptedConnections() {
      return accepted;
    },
    cut(mode: CutMode = "blackhole") {
      if (stopped) throw new Error("tcp proxy: cut() after stop()");
      state = mode;
      if (mode === "reset") {
        for (const link of links) {
          if (link.held) releaseHeld(link);
          else closeLink(link);
        }
        // Pumps blocked on the gate must see their link closed and end.
        openGate();
      } else if (gate === undefined) {
        let open!: () => void;
        const promise = new Promise<void>((resolve) => open = resolve);
        gate = { promise, open };
      }
    },
    restore() {
      if (stopped || state === "up") return;
      state = "up";
      for (const link of links) if (link.held) releaseHeld(link);
      openGate();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        listener.close();
      } catch {
        // Already closed.
      }
      await acceptLoop;
      for (const link of links) {
        if (link.held) releaseHeld(link);
        else closeLink(link);
      }
      openGate();
      await Promise.all([...links].map((link) => link.done));
    },
    [Symbol.asyncDispose]() {
      return proxy.stop();
    },
  };
  return Promise.resolve(proxy);
}
