/**
 * Authentication and authorization middleware: `authenticate` finds the
 * caller from `Authorization: Bearer <token>` (or admits anonymous callers as
 * admin in open mode), `admit(...)` refuses roles a route does not allow.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { bearerToken } from "../auth/tokens.ts";
import type { Principal } from "../auth/auth_store.ts";
import { type Role, roleAdmitted } from "../auth/roles.ts";
import type { ApiDeps, ApiEnv } from "./api_env.ts";

/** The caller when `[auth] mode = "open"` and no token was sent. */
export const OPEN_PRINCIPAL: Readonly<Principal> = { id: "open", name: "open", role: "admin" };

/** 401 with `WWW-Authenticate: Bearer`. */
function unauthorized(message: string): HTTPException {
  return new HTTPException(401, {
    message,
    res: new Response(null, { headers: { "www-authenticate": 'Bearer realm="tributary"' } }),
  });
}

/**
 * Sets `principal`, or answers 401. A token that is sent is always checked,
 * in open mode too: a wrong one is a 401, not a silent downgrade.
 */
export function authenticate(deps: ApiDeps): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    const token = bearerToken(header);
    let principal: Principal | undefined;
    if (token !== undefined) {
      principal = await deps.auth?.authenticate(token);
      if (!principal) {
        deps.metrics.authFailures.inc({ reason: "invalid" });
        throw unauthorized("invalid or revoked token");
      }
    } else if (header !== undefined && header !== "") {
      deps.metrics.authFailures.inc({ reason: "invalid" });
      throw unauthorized('Authorization header: expected "Bearer <token>"');
    } else if (deps.mode === "open") {
      principal = { ...OPEN_PRINCIPAL };
    } else {
      deps.metrics.authFailures.inc({ reason: "missing" });
      throw unauthorized("missing token: send Authorization: Bearer <token>");
    }
    c.set("principal", principal);
    await next();
  };
}

/** Answers 403 unless the caller's role is among `roles` (admin always passes); audits the refusal. */
export function admit(deps: ApiDeps, ...roles: Role[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    if (!roleAdmitted(principal.role, roles)) {
      deps.metrics.authFailures.inc({ reason: "forbidden" });
      await deps.auth?.recordAudit({
        principal,
        action: "forbidden",
        method: c.req.method,
        path: c.req.path,
        detail: `role ${principal.role}; route admits ${["admin", ...roles].join(", ")}`,
        status: 403,
        rows: 0,
        bytes: 0,
        durationMs: 0,
      }).catch((error) => deps.log.warn("audit write failed", { error }));
      throw new HTTPException(403, {
        message: `role "${principal.role}" may not call ${c.req.method} ${c.req.path}; allowed: ${
          ["admin", ...roles].join(", ")
        }`,
      });
    }
    await next();
  };
}
