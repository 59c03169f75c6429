/**
 * A local market-feed WebSocket server for tests (Deno.serve +
 * Deno.upgradeWebSocket on a free loopback port): it records what clients
 * send, and lets the test push frames to the current client and drop it.
 *
 * @module
 */

/** A running test feed. */
export interface FeedServer {
  /** `ws://127.0.0.1:PORT/feed` */
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Text messages received from clients, in order, per connection (0-based). */
  received(): string[][];
  /** True when a client is connected and has sent at least `messages` messages. */
  ready(messages?: number): boolean;
  /** Sends one frame (text, or binary for bytes) to the current client. */
  send(frame: string | Uint8Array): void;
  /** Closes the current client's connection (a dropped feed). */
  drop(code?: number): void;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

/** Starts a feed server; `port` 0 (default) picks a free one. */
export function startFeedServer(port = 0): FeedServer {
  const received: string[][] = [];
  const sockets = new Set<WebSocket>();
  let current: WebSocket | undefined;
  let currentIndex = -1;
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, (request) => {
    if (request.headers.get("upgrade") !== "websocket") {
      return new Response("feed", { status: 426 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    const index = received.length;
    received.push([]);
    socket.onopen = () => {
      sockets.add(socket);
      current = socket;
      currentIndex = index;
    };
    socket.onmessage = (e) => received[index]!.push(String(e.data));
    socket.onclose = () => {
      sockets.delete(socket);
      if (current === socket) current = undefined;
    };
    return response;
  });
  const actualPort = server.addr.port;
  return {
    url: `ws://127.0.0.1:${actualPort}/feed`,
    port: actualPort,
    connections: () => received.length,
    received: () => received,
    ready: (messages = 0) =>
      current !== undefined && current.readyState === WebSocket.OPEN &&
      (received[currentIndex]?.length ?? 0) >= messages,
    send(frame) {
      if (current === undefined) throw new Error("no client connected");
      current.send(frame);
    },
    drop(code = 1001) {
      current?.close(code, "dropped by the test feed");
      current = undefined;
    },
    async close() {
      for (const s of sockets) s.close(1001, "server closing");
      await server.shutdown();
    },
  };
}
