/**
 * Serves a fetch handler with `Deno.serve` on a configured address, and stops
 * it, waiting for requests in flight.
 *
 * @module
 */
import type { ListenAddress } from "../config.ts";

/** A running HTTP server. */
export interface HttpServer {
  /** The bound port (the one picked when port 0 was asked for). */
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  /** Stops accepting, finishes requests in flight. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts serving `handler` on `listen`. Deno's own "Listening on" line is
 * suppressed: stdout carries only the process's ready line.
 *
 * @throws {Deno.errors.AddrInUse} and other listen errors.
 */
export function serveHttp(
  listen: ListenAddress,
  handler: (request: Request) => Response | Promise<Response>,
): HttpServer {
  const server = Deno.serve(
    { hostname: listen.hostname, port: listen.port, onListen: () => {} },
    handler,
  );
  const port = server.addr.port;
  const host = listen.hostname.includes(":") ? `[${listen.hostname}]` : listen.hostname;
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `http://${host}:${port}`,
    stop: () => (stopping ??= server.shutdown()),
  };
}
