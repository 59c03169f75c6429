/**
 * `GET /api/v1/agents`: every agent with stream totals and its latest heartbeat.
 *
 * @module
 */
import type { ApiApp, ApiDeps } from "../api_env.ts";
import { admit } from "../auth.ts";

/** Adds `GET /api/v1/agents` (reader, agent, admin). */
export function addAgentRoutes(app: ApiApp, deps: ApiDeps): void {
  app.get(
    "/api/v1/agents",
    admit(deps, "reader", "agent"),
    async (c) => c.json({ agents: await deps.store.agents({ staleAfterS: deps.staleAfterS }) }),
  );
}
