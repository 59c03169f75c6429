/**
 * The hub's HTTP API as a Hono app. Routes live in `routes/*.ts`, one module
 * per concern; every `/api/*` request passes {@linkcode authenticate} and each
 * route admits only its roles. Every error becomes a JSON response in one
 * place, `app.onError`. The OpenAPI description (`openapi.ts`) lists the
 * same routes; a test checks the two agree.
 *
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import type { Registry } from "prom-client";
import type { Logger } from "@tributary/shared/log";
import { QueryRefused, type ReadOnlyQueryOptions } from "@tributary/shared/sql/read_only_query";
import type { AuthStore } from "../auth/auth_store.ts";
import type { ApiDeps, ApiEnv, AuthMode, HubReadSource } from "./api_env.ts";
import { admit, authenticate } from "./auth.ts";
import { createHttpMetrics } from "./http_metrics.ts";
import { ParamError } from "./params.ts";
import { QueryGate, QueryGateFull, type QueryGateOptions } from "./query_gate.ts";
import { ColdTierUnavailable } from "../tier/query_tiers.ts";
import { openApiDocument } from "./openapi.ts";
import { addSystemRoutes } from "./routes/system.ts";
import { addQueryRoutes } from "./routes/query.ts";
import { addAgentRoutes } from "./routes/agents.ts";
import { addSeriesRoutes } from "./routes/series.ts";
import { addMarketRoutes } from "./routes/market.ts";
import { addLatestRoutes } from "./routes/latest.ts";
import { addLogRoutes } from "./routes/logs.ts";
import { addAdminRoutes } from "./routes/admin.ts";
import { mountDashboard } from "../dashboard/mod.ts";

export type { ApiEnv, AuthMode, HubReadSource } from "./api_env.ts";

/** Options of {@linkcode createHubApp}. */
export interface HubAppOptions {
  store: HubReadSource;
  registry: Registry;
  log: Logger;
  /** Limits of `POST /api/v1/query` and the convenience endpoints. */
  query?: ReadOnlyQueryOptions;
  /** Queries running at once, and waiting beyond them (more: 429), or a gate to share. @default unbounded */
  concurrency?: QueryGateOptions | QueryGate;
  /** Largest request body accepted, in bytes. @default 1048576 */
  maxBodyBytes?: number;
  /** An agent without a heartbeat for longer is `stale` in `/api/v1/agents`, in seconds. @default 15 */
  staleAfterS?: number;
  /** Access control. @default open mode without a token store (tests) */
  auth?: {
    mode: AuthMode;
    /** Tokens and audit log. Without it no token is valid and admin token routes answer 503. */
    store?: AuthStore;
    /** Serve `/metrics` without a token. @default true */
    publicMetrics?: boolean;
  };
}

/**
 * Builds the app. Routes (see `docs/api.md` and `GET /api/v1/openapi.json`):
 * - `GET /healthz` (public), `GET /metrics` (public unless `publicMetrics` is false)
 * - `GET /api/v1/openapi.json` (public), `GET /api/v1/whoami`
 * - `POST /api/v1/query` with `{"sql":"SELECT ..."}` → `{"columns","rows","truncated"}`, or CSV,
 *   Arrow IPC stream, Parquet by `?format=` / `Accept`
 * - `GET /api/v1/agents`, `/series`, `/market/ohlcv`, `/latest`, `/logs`
 * - admin: `/api/v1/tokens`, `/api/v1/audit`, `/api/v1/quarantine`
 *
 * Without a valid token a request to `/api/*` gets 401 (in token mode), a role
 * the route does not admit 403.
 *
 * @example
 * ```ts
 * const app = createHubApp({ store, registry, log });
 * const response = await app.request("/healthz");
 * ```
 */
export function createHubApp(options: HubAppOptions): Hono<ApiEnv> {
  const { store, registry, log } = options;
  const deps: ApiDeps = {
    store: options.concurrency
      ? {
        agents: (agentOptions) => store.agents(agentOptions),
        connect: () => store.connect(),
        prepareQueryConnection: store.prepareQueryConnection?.bind(store),
        gate: options.concurrency instanceof QueryGate
          ? options.concurrency
          : new QueryGate(options.concurrency),
      }
      : store,
    auth: options.auth?.store,
    mode: options.auth?.mode ?? "open",
    log,
    metrics: createHttpMetrics(registry),
    query: {
      maxRows: options.query?.maxRows ?? 100_000,
      timeoutMs: options.query?.timeoutMs ?? 30_000,
    },
    staleAfterS: options.staleAfterS,
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
  };
  const app = new Hono<ApiEnv>();
  // Requests answered by notFound, so the metric says route="(none)" rather than a middleware pattern.
  const unmatched = new WeakSet<Request>();

  app.use("*", async (c, next) => {
    await next();
    const route = unmatched.has(c.req.raw) ? "(none)" : routePath(c, -1);
    deps.metrics.requests.inc({ route, method: c.req.method, status: String(c.res.status) });
  });

  // Public: the OpenAPI description, so a client can discover the API before it has a token.
  const document = openApiDocument();
  app.get("/api/v1/openapi.json", (c) => c.json(document));

  app.use("/api/*", authenticate(deps));
  if (options.auth?.publicMetrics === false) {
    app.use("/metrics", authenticate(deps), admit(deps, "reader", "agent"));
  }

  addSystemRoutes(app, deps, registry);
  addAgentRoutes(app, deps);
  addQueryRoutes(app, deps);
  addSeriesRoutes(app, deps);
  addMarketRoutes(app, deps);
  addLatestRoutes(app, deps);
  addLogRoutes(app, deps);
  addAdminRoutes(app, deps);
  // The dashboard page and its assets are public; its API calls carry the user's token.
  mountDashboard(app);

  app.notFound((c) => {
    unmatched.add(c.req.raw);
    return c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404);
  });

  app.onError((error, c) => {
    if (error instanceof QueryRefused) return c.json({ error: error.message }, 400);
    if (error instanceof QueryGateFull) {
      return c.json({ error: error.message }, 429, { "retry-after": "1" });
    }
    // The Parquet tier's object store is unreachable: try again later (hub/tier/query_tiers.ts).
    if (error instanceof ColdTierUnavailable) {
      return c.json({ error: error.message }, 503, { "retry-after": "5" });
    }
    if (error instanceof ParamError) {
      return c.json({
        error: error.message,
        parameter: error.parameter,
        value: error.value ?? null,
        allowed: error.allowed,
      }, 400);
    }
    if (error instanceof HTTPException) {
      const headers: Record<string, string> = {};
      error.res?.headers.forEach((value, key) => (headers[key] = value));
      return c.json({ error: error.message }, error.status, headers);
    }
    log.error("http request failed", { path: c.req.path, error });
    return c.json({ error: "internal error" }, 500);
  });

  return app;
}
