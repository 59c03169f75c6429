/**
 * What every route module receives: the Hono environment type (the request's
 * principal) and the app's dependencies.
 *
 * @module
 */
import type { Hono } from "hono";
import type { Logger } from "@tributary/shared/log";
import type { ReadOnlyQueryOptions } from "@tributary/shared/sql/read_only_query";
import type { AuthStore, Principal } from "../auth/auth_store.ts";
import type { AgentSummary, ListAgentsOptions } from "../store/agents.ts";
import type { QueryConnectionSource } from "./query_path.ts";
import type { HttpMetrics } from "./http_metrics.ts";

/** Hono variables set by the auth middleware. */
export interface ApiEnv {
  Variables: {
    /** Who is calling (set on every `/api/*` request that got past authentication). */
    principal: Principal;
  };
}

/** The Hono app type routes are added to. */
export type ApiApp = Hono<ApiEnv>;

/** What the HTTP API reads from; the hot store provides both. */
export interface HubReadSource extends QueryConnectionSource {
  agents(options?: ListAgentsOptions): Promise<AgentSummary[]>;
}

/** `"token"`: every API call needs a valid token; `"open"`: calls without one act as admin. */
export type AuthMode = "token" | "open";

/** Dependencies of the route modules. */
export interface ApiDeps {
  store: HubReadSource;
  /** Tokens and audit; absent only in tests of open mode. */
  auth?: AuthStore;
  mode: AuthMode;
  log: Logger;
  metrics: HttpMetrics;
  /** Limits of user queries. */
  query: Required<Pick<ReadOnlyQueryOptions, "maxRows" | "timeoutMs">>;
  staleAfterS?: number;
  maxBodyBytes: number;
}
