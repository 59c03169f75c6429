/**
 * `POST /api/v1/query`: read-only SQL, answered as JSON, CSV, Arrow IPC
 * stream or Parquet (`?format=` or `Accept`). Every query is audited.
 *
 * @module
 */
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { ApiApp, ApiDeps } from "../api_env.ts";
import { admit } from "../auth.ts";
import { chooseFormat } from "../formats/result_format.ts";
import { answerQuery } from "./respond.ts";

/** Adds `POST /api/v1/query` (reader, admin). */
export function addQueryRoutes(app: ApiApp, deps: ApiDeps): void {
  app.post(
    "/api/v1/query",
    admit(deps, "reader"),
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: () => {
        throw new HTTPException(413, { message: "request body too large" });
      },
    }),
    async (c) => {
      const format = chooseFormat(c.req.query("format"), c.req.header("accept"));
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new HTTPException(400, { message: 'body: expected JSON like {"sql":"SELECT ..."}' });
      }
      if (typeof body !== "object" || body === null || !("sql" in body)) {
        throw new HTTPException(400, { message: 'body: expected an object with a "sql" string' });
      }
      const sql = body.sql;
      return await answerQuery(c, deps, {
        sql: sql as string,
        options: { ...deps.query },
        format,
      }, {
        endpoint: "query",
        auditAction: "query",
        auditDetail: typeof sql === "string" ? sql : JSON.stringify(sql) ?? "",
      });
    },
  );
}
