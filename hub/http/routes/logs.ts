/**
 * `GET /api/v1/logs`: log lines in a time range, newest first, filtered by
 * level, source, agent and a case-insensitive text search.
 *
 * @module
 */
import { LOG_LEVELS, nowNs } from "@tributary/shared/records";
import type { ApiApp, ApiDeps } from "../api_env.ts";
import { admit } from "../auth.ts";
import { chooseFormat } from "../formats/result_format.ts";
import { checkRange, readChoiceList, readIntParam, readText, readTime } from "../params.ts";
import { SqlBuilder } from "../sql_builder.ts";
import { answerQuery } from "./respond.ts";

/**
 * Adds `GET /api/v1/logs?from=&to=&level=&source=&agent=&q=&limit=&format=` (reader, admin).
 * Columns: `ts`, `agent`, `source`, `level`, `message`, `fields`.
 */
export function addLogRoutes(app: ApiApp, deps: ApiDeps): void {
  app.get("/api/v1/logs", admit(deps, "reader"), async (c) => {
    const params = new URL(c.req.url).searchParams;
    const now = nowNs();
    const toNs = readTime(params, "to", now + 60_000_000_000n, now);
    const fromNs = readTime(params, "from", now - 3_600_000_000_000n, now);
    checkRange(fromNs, toNs, params.get("from"));
    const levels = readChoiceList(params, "level", LOG_LEVELS);
    const source = readText(params, "source");
    const agent = readText(params, "agent");
    const text = readText(params, "q");
    const limit = readIntParam(params, "limit", 100, { min: 1, max: deps.query.maxRows });
    const format = chooseFormat(params.get("format") ?? undefined, c.req.header("accept"));
    const q = new SqlBuilder().timeRange(fromNs, toNs).oneOf("level", levels)
      .equals("source", source).equals("agent", agent);
    if (text !== undefined) q.where.push(`contains(lower(message), lower(${q.param(text)}))`);
    const sql = `SELECT ts, agent, source, level, message, fields FROM logs ${q.whereClause()}
      ORDER BY ts DESC LIMIT ${q.param(BigInt(limit))}`;
    return await answerQuery(c, deps, {
      sql,
      options: { ...deps.query, params: q.params },
      format,
    }, { endpoint: "logs" });
  });
}
