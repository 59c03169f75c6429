/**
 * The agent's HTTP API: `/healthz`, `/metrics`, `/status` and `POST /query`
 * (read-only SQL on the buffer, for `agent query`), on Hono over Deno.serve.
 *
 * @module
 */
import { Hono } from "hono";
import type { Registry } from "prom-client";
import type { Logger } from "@tributary/shared/log";
import type { Kind } from "@tributary/shared/records";
import { QueryRefused, type QueryResult } from "@tributary/shared/sql/read_only_query";
import type { StreamStats } from "../buffer/mod.ts";

/** The body of `GET /status`. */
export interface AgentStatus {
  agent: string;
  streams: Record<Kind, StreamStats>;
}

/** What the HTTP API serves. */
export interface HttpSources {
  agent: string;
  registry: Registry;
  stats(): Promise<Record<Kind, StreamStats>>;
  /** Runs one read-only SELECT on the buffer; absent: `POST /query` answers 404. */
  query?(sql: unknown): Promise<QueryResult>;
  log: Logger;
}

/** Largest `POST /query` body accepted, in bytes. */
export const MAX_QUERY_BODY_BYTES = 256 * 1024;

/** Builds the Hono app (without listening), so tests can call `app.request`. */
export function createHttpApp(sources: HttpSources): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/metrics", async (c) => {
    const text = await sources.registry.metrics();
    return c.body(text, 200, { "content-type": sources.registry.contentType });
  });
  app.get("/status", async (c) => {
    const status: AgentStatus = { agent: sources.agent, streams: await sources.stats() };
    return c.json(status);
  });
  const query = sources.query;
  if (query !== undefined) {
    // `{"sql":"SELECT ..."}` → `{"columns","rows","truncated"}`; 400 `{"error"}` when refused.
    app.post("/query", async (c) => {
      const text = await c.req.text();
      if (text.length > MAX_QUERY_BODY_BYTES) {
        return c.json(
          { error: `body: ${text.length} bytes, at most ${MAX_QUERY_BODY_BYTES}` },
          413,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return c.json({ error: 'body: expected JSON {"sql": "SELECT ..."}' }, 400);
      }
      const sql = typeof body === "object" && body !== null
        ? (body as Record<string, unknown>).sql
        : undefined;
      try {
        return c.json(await query(sql));
      } catch (error) {
        if (error instanceof QueryRefused) return c.json({ error: error.message }, 400);
        throw error;
      }
    });
  }
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  // Errors become responses in one place.
  app.onError((error, c) => {
    sources.log.error("http request failed", { path: c.req.path, error });
    return c.json({ error: error.message }, 500);
  });
  return app;
}

/** Options of {@linkcode startHttpServer}. */
export interface HttpServerOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  app: Hono;
}

/** A listening HTTP server. */
export interface HttpServer {
  /** e.g. `http://127.0.0.1:8081` with the actual port. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections and waits for open requests. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts serving `app`; resolves once listening.
 *
 * @throws {Deno.errors.AddrInUse} and other listen errors.
 */
export function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        hostname: options.hostname,
        port: options.port,
        onListen: (addr) => {
          const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
          let closing: Promise<void> | undefined;
          resolve({
            url: `http://${host}:${addr.port}`,
            port: addr.port,
            close: () => closing ??= server.shutdown(),
          });
        },
      }, options.app.fetch);
    } catch (error) {
      reject(error);
    }
  });
}
