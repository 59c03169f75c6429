/**
 * Health, metrics and `whoami`.
 *
 * @module
 */
import type { Registry } from "prom-client";
import type { ApiApp, ApiDeps } from "../api_env.ts";
import { admit } from "../auth.ts";

/** Adds `GET /healthz` (public), `GET /metrics` and `GET /api/v1/whoami` (every role). */
export function addSystemRoutes(app: ApiApp, deps: ApiDeps, registry: Registry): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/metrics", async (c) => {
    const page = await registry.metrics();
    return c.body(page, 200, { "content-type": registry.contentType });
  });

  app.get("/api/v1/whoami", admit(deps, "reader", "agent"), (c) => {
    const principal = c.get("principal");
    return c.json({ ...principal, mode: deps.mode });
  });
}
