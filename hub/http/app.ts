/**
 * The hub's HTTP API as a Hono app: health, agents, read-only SQL and metrics.
 * Every error becomes a JSON response in one place, `app.onError`.
 *
 * @module
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Registry } from "prom-client";
import type { Logger } from "@tributary/shared/log";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { AgentSummary, ListAgentsOptions } from "../store/agents.ts";
import {
  QueryRefused,
  type ReadOnlyQueryOptions,
  runReadOnlyQuery,
} from "@tributary/shared/sql/read_only_query";

/** What the HTTP API reads from; the hot store provides both. */
export interface HubReadSource {
  agents(options?: ListAgentsOptions): Promise<AgentSummary[]>;
  /** A new connection for one query; closed by the API after use. */
  connect(): Promise<DuckDBConnection>;
}

/** Options of {@linkcode createHubApp}. */
export interface HubAppOptions {
  store: HubReadSource;
  registry: Registry;
  log: Logger;
  /** Limits of `POST /api/v1/query`. */
  query?: ReadOnlyQueryOptions;
  /** Largest request body accepted, in bytes. @default 1048576 */
  maxBodyBytes?: number;
  /** An agent without a heartbeat for longer is `stale` in `/api/v1/agents`, in seconds. @default 15 */
  staleAfterS?: number;
}

/**
 * Builds the app. Routes:
 * - `GET /healthz` → `{"status":"ok"}`
 * - `GET /api/v1/agents` → `{"agents":[{"agent","last_seen","streams":{...},"last_heartbeat",
 *   "version","uptime_s","backlog":{...},"dropped":{...},"stale"}]}`
 * - `POST /api/v1/query` with `{"sql":"SELECT ..."}` → `{"columns","rows","truncated"}`; 400 `{"error"}` when refused
 * - `GET /metrics` → Prometheus text
 *
 * @example
 * ```ts
 * const app = createHubApp({ store, registry, log });
 * const response = await app.request("/healthz");
 * ```
 */
export function createHubApp(options: HubAppOptions): Hono {
  const { store, registry, log } = options;
  const app = new Hono();

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get(
    "/api/v1/agents",
    async (c) => c.json({ agents: await store.agents({ staleAfterS: options.staleAfterS }) }),
  );

  app.post(
    "/api/v1/query",
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 1_048_576,
      onError: () => {
        throw new HTTPException(413, { message: "request body too large" });
      },
    }),
    async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new HTTPException(400, { message: 'body: expected JSON like {"sql":"SELECT ..."}' });
      }
      if (typeof body !== "object" || body === null || !("sql" in body)) {
        throw new HTTPException(400, { message: 'body: expected an object with a "sql" string' });
      }
      const connection = await store.connect();
      try {
        return c.json(await runReadOnlyQuery(connection, body.sql, options.query));
      } finally {
        connection.closeSync();
      }
    },
  );

  app.get("/metrics", async (c) => {
    const page = await registry.metrics();
    return c.body(page, 200, { "content-type": registry.contentType });
  });

  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));

  app.onError((error, c) => {
    if (error instanceof QueryRefused) return c.json({ error: error.message }, 400);
    if (error instanceof HTTPException) return c.json({ error: error.message }, error.status);
    log.error("http request failed", { path: c.req.path, error });
    return c.json({ error: "internal error" }, 500);
  });

  return app;
}
