/**
 * Serves a fetch handler with `Deno.serve` on a configured address, and stops
 * it, waiting for requests in flight.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
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

/** Options of {@linkcode serveHttp}. */
export interface ServeHttpOptions {
  /** PEM certificate chain and private key (the text, not file names): serve HTTPS. */
  tls?: { cert: string; key: string };
}

/**
 * Reads the PEM files of `[http] tls_cert` / `tls_key`.
 *
 * @throws {ConfigError} naming the field when a file cannot be read.
 */
export async function readTlsFiles(
  certPath: string,
  keyPath: string,
): Promise<{ cert: string; key: string }> {
  const read = async (path: string, field: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new ConfigError(field, path, `a readable PEM file (${detail})`);
    }
  };
  return { cert: await read(certPath, "http.tls_cert"), key: await read(keyPath, "http.tls_key") };
}

/**
 * Starts serving `handler` on `listen` (HTTPS when `options.tls` is given). Deno's own "Listening on" line is
 * suppressed: stdout carries only the process's ready line.
 *
 * @throws {Deno.errors.AddrInUse} and other listen errors.
 */
export function serveHttp(
  listen: ListenAddress,
  handler: (request: Request) => Response | Promise<Response>,
  options: ServeHttpOptions = {},
): HttpServer {
  const address = { hostname: listen.hostname, port: listen.port, onListen: () => {} };
  const server = options.tls
    ? Deno.serve({ ...address, cert: options.tls.cert, key: options.tls.key }, handler)
    : Deno.serve(address, handler);
  const port = server.addr.port;
  const host = listen.hostname.includes(":") ? `[${listen.hostname}]` : listen.hostname;
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `${options.tls ? "https" : "http"}://${host}:${port}`,
    stop: () => (stopping ??= server.shutdown()),
  };
}
