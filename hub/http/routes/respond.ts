/**
 * Shared by the query routes: run a query through the one query path, time
 * it, audit it when asked, and answer in the requested format.
 *
 * @module
 */
import type { Context } from "hono";
import { QueryRefused } from "@tributary/shared/sql/read_only_query";
import type { ApiDeps, ApiEnv } from "../api_env.ts";
import { type ApiQuery, runApiQuery } from "../query_path.ts";

/** Options of {@linkcode answerQuery}. */
export interface AnswerOptions {
  /** Label of the query latency histogram, e.g. `query`, `series`. */
  endpoint: string;
  /** Audit action; omitted: not audited. */
  auditAction?: string;
  /** What the audit row says was asked (the SQL text for `/query`). */
  auditDetail?: string;
}

/** Runs `query` and answers with its encoded result; refusals become 400 via `app.onError`. */
export async function answerQuery(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  query: ApiQuery,
  options: AnswerOptions,
): Promise<Response> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const labels = { endpoint: options.endpoint, format: query.format };
  try {
    const answer = await runApiQuery(deps.store, query);
    deps.metrics.querySeconds.observe({ ...labels, outcome: "ok" }, seconds());
    await audit(c, deps, options, 200, answer.rowCount, answer.body.byteLength, seconds());
    return new Response(answer.body as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: {
        "content-type": answer.contentType,
        "x-tributary-rows": String(answer.rowCount),
        "x-tributary-truncated": String(answer.truncated),
      },
    });
  } catch (error) {
    const refused = error instanceof QueryRefused;
    deps.metrics.querySeconds.observe(
      { ...labels, outcome: refused ? "refused" : "error" },
      seconds(),
    );
    await audit(c, deps, options, refused ? 400 : 500, 0, 0, seconds());
    throw error;
  }
}

async function audit(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  options: AnswerOptions,
  status: number,
  rows: number,
  bytes: number,
  seconds: number,
): Promise<void> {
  if (options.auditAction === undefined || deps.auth === undefined) return;
  try {
    await deps.auth.recordAudit({
      principal: c.get("principal"),
      action: options.auditAction,
      method: c.req.method,
      path: c.req.path,
      detail: options.auditDetail ?? c.req.url.slice(c.req.url.indexOf(c.req.path)),
      status,
      rows,
      bytes,
      durationMs: seconds * 1000,
    });
  } catch (error) {
    // An audit failure must not lose the answer; it is logged for the operator.
    deps.log.warn("audit write failed", { error });
  }
}
