/**
 * Admin routes: API tokens, the audit log and the quarantine. Token changes
 * and audit reads are themselves audited.
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { nowNs } from "@tributary/shared/records";
import type { ApiApp, ApiDeps, ApiEnv } from "../api_env.ts";
import type { AuthStore } from "../../auth/auth_store.ts";
import { isRole, ROLES } from "../../auth/roles.ts";
import { admit } from "../auth.ts";
import { chooseFormat } from "../formats/result_format.ts";
import { ParamError, readIntParam, readText, readTime } from "../params.ts";
import { SqlBuilder } from "../sql_builder.ts";
import { answerQuery } from "./respond.ts";

/** Longest token name accepted. */
export const MAX_TOKEN_NAME = 64;

/**
 * Adds (admin only):
 * - `GET /api/v1/tokens` → `{"tokens":[{id,name,role,created_at,revoked_at}]}`
 * - `POST /api/v1/tokens` `{"name","role"}` → 201 `{id,name,role,created_at,revoked_at,token}`
 * - `DELETE /api/v1/tokens/:id` (id or name) → `{"revoked":[ids]}`, 404 when none matched
 * - `GET /api/v1/audit?from=&to=&action=&token_name=&limit=` → `{"entries":[...]}`
 * - `GET /api/v1/quarantine?from=&to=&reason=&limit=&format=` → quarantined messages (no raw bytes)
 */
export function addAdminRoutes(app: ApiApp, deps: ApiDeps): void {
  const auth = (): AuthStore => {
    if (!deps.auth) throw new HTTPException(503, { message: "no token store configured" });
    return deps.auth;
  };

  app.get(
    "/api/v1/tokens",
    admit(deps),
    async (c) => c.json({ tokens: await auth().listTokens() }),
  );

  app.post("/api/v1/tokens", admit(deps), async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new HTTPException(400, {
        message: 'body: expected JSON like {"name":"alice","role":"reader"}',
      });
    }
    const { name, role } = (typeof body === "object" && body !== null ? body : {}) as {
      name?: unknown;
      role?: unknown;
    };
    if (typeof name !== "string" || !/^[\w.@-]{1,64}$/.test(name)) {
      throw new HTTPException(400, {
        message: `name: got ${
          JSON.stringify(name) ?? "nothing"
        }, expected 1-${MAX_TOKEN_NAME} of letters, digits, _ . @ -`,
      });
    }
    if (!isRole(role)) {
      throw new HTTPException(400, {
        message: `role: got ${JSON.stringify(role) ?? "nothing"}, expected one of ${
          ROLES.join(", ")
        }`,
      });
    }
    const created = await auth().createToken({ name, role });
    await auditAdmin(c, deps, "token.create", `${name} (${role}) id ${created.id}`, 201);
    return c.json(created, 201);
  });

  app.delete("/api/v1/tokens/:id", admit(deps), async (c) => {
    const id = c.req.param("id");
    const revoked = await auth().revokeToken(id);
    const status = revoked.length ? 200 : 404;
    await auditAdmin(c, deps, "token.revoke", `${id} → ${revoked.join(", ") || "none"}`, status);
    if (!revoked.length) {
      throw new HTTPException(404, {
        message: `no valid token with id or name ${JSON.stringify(id)}`,
      });
    }
    return c.json({ revoked });
  });

  app.get("/api/v1/audit", admit(deps), async (c) => {
    const params = new URL(c.req.url).searchParams;
    const now = nowNs();
    const entries = await auth().audit({
      sinceNs: params.has("from") ? readTime(params, "from", 0n, now) : undefined,
      untilNs: params.has("to") ? readTime(params, "to", now, now) : undefined,
      action: readText(params, "action"),
      tokenName: readText(params, "token_name"),
      limit: readIntParam(params, "limit", 1000, { min: 1, max: 100_000 }),
    });
    await auditAdmin(
      c,
      deps,
      "audit.read",
      c.req.url.slice(c.req.url.indexOf("/api/")),
      200,
      entries.length,
    );
    return c.json({ entries });
  });

  app.get("/api/v1/quarantine", admit(deps), async (c) => {
    const params = new URL(c.req.url).searchParams;
    const now = nowNs();
    const q = new SqlBuilder();
    if (params.has("from") || params.has("to")) {
      const toNs = readTime(params, "to", now, now);
      const fromNs = readTime(params, "from", 0n, now);
      if (fromNs >= toNs) {
        throw new ParamError("from", params.get("from") ?? undefined, 'a time before "to"');
      }
      q.timeRange(fromNs, toNs, "received_at");
    }
    q.equals("reason", readText(params, "reason"));
    const limit = readIntParam(params, "limit", 100, { min: 1, max: deps.query.maxRows });
    const sql = `SELECT received_at, source, topic, reason, detail, size FROM quarantine
      ${q.whereClause()} ORDER BY received_at DESC LIMIT ${q.param(BigInt(limit))}`;
    return await answerQuery(c, deps, {
      sql,
      options: { ...deps.query, params: q.params },
      format: chooseFormat(params.get("format") ?? undefined, c.req.header("accept")),
    }, { endpoint: "quarantine", auditAction: "quarantine.read" });
  });
}

async function auditAdmin(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  action: string,
  detail: string,
  status: number,
  rows = 0,
): Promise<void> {
  try {
    await deps.auth?.recordAudit({
      principal: c.get("principal"),
      action,
      method: c.req.method,
      path: c.req.path,
      detail,
      status,
      rows,
      bytes: 0,
      durationMs: 0,
    });
  } catch (error) {
    deps.log.warn("audit write failed", { error });
  }
}
