/**
 * A free loopback TCP port for a server a test starts.
 *
 * @module
 */

/** Options of {@linkcode getFreePort}. */
export interface FreePortOptions {
  /** The address to probe. @default "127.0.0.1" */
  hostname?: string;
}

/**
 * Returns a TCP port that was free a moment ago: listens on port 0, reads the
 * port the kernel picked, and closes the listener again.
 *
 * Another process may take the port between this call and the caller's own
 * listen; prefer letting the server itself bind port 0 where it can, and use
 * this only for servers (Mosquitto) that must be told their port up front.
 *
 * @example
 * ```ts
 * const port = getFreePort();
 * ```
 */
export function getFreePort(options: FreePortOptions = {}): number {
  const listener = Deno.listen({ hostname: options.hostname ?? "127.0.0.1", port: 0 });
  try {
    return (listener.addr as Deno.NetAddr).port;
  } finally {
    listener.close();
  }
}
