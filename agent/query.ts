/**
 * `agent query "SELECT ..."`: read-only SQL on the agent's buffer. While the
 * agent runs, DuckDB's file lock keeps other processes out, so the query goes
 * to the running agent (`POST /query` at `[http] listen`); when nothing
 * answers there, the buffer file is opened read-only. Either way the SQL must
 * be exactly one SELECT (`shared/sql/read_only_query.ts`), and DuckDB may not
 * read other files or URLs.
 *
 * @module
 */
import type { Json } from "@tributary/shared/sql/json_value";
import { QueryRefused, type QueryResult } from "@tributary/shared/sql/read_only_query";
import { bufferPath } from "./agent.ts";
import { AgentBuffer } from "./buffer/mod.ts";
import type { AgentConfig } from "./config.ts";
import { liveBaseUrl, type StatusSource } from "./status.ts";

/** Options of {@linkcode queryBuffer}. */
export interface QueryBufferOptions {
  /** How long to wait for the running agent's answer, in ms. @default 30000 */
  timeoutMs?: number;
}

/**
 * Runs `sql` on the buffer of the agent of `config`, live when it runs.
 *
 * @throws {QueryRefused} when the SQL is not one SELECT or DuckDB refuses it.
 * @throws {Error} when neither the agent nor the buffer file can be reached.
 */
export async function queryBuffer(
  config: AgentConfig,
  sql: string,
  options: QueryBufferOptions = {},
): Promise<{ result: QueryResult; source: StatusSource }> {
  const base = liveBaseUrl(config);
  if (base !== undefined) {
    const url = `${base}/query`;
    const live = await postQuery(url, sql, options.timeoutMs ?? 30_000);
    if (live !== undefined) return { result: live, source: { kind: "http", url } };
  }
  const path = bufferPath(config);
  let buffer: AgentBuffer;
  try {
    buffer = await AgentBuffer.open({ path, agent: config.agent.id, readOnly: true });
  } catch (error) {
    const hint = base === undefined
      ? " (http.listen has port 0, so query cannot find a running agent; give it a fixed port)"
      : ` (no agent answered at ${base})`;
    throw new Error(`${(error as Error).message}${hint}`, { cause: error });
  }
  try {
    return { result: await buffer.query(sql), source: { kind: "buffer", path } };
  } finally {
    await buffer.close();
  }
}

/** The running agent's answer; `undefined` when no agent answers there (fall back to the file). */
async function postQuery(
  url: string,
  sql: string,
  timeoutMs: number,
): Promise<QueryResult | undefined> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sql }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    return undefined;
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return undefined;
  }
  const o = typeof body === "object" && body !== null ? body as Record<string, unknown> : {};
  if (res.status === 400 && typeof o.error === "string") throw new QueryRefused(o.error);
  if (!res.ok) {
    if (typeof o.error === "string") throw new Error(`agent at ${url}: ${o.error}`);
    return undefined;
  }
  return isQueryResult(body) ? body : undefined;
}

function isQueryResult(value: unknown): value is QueryResult {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return Array.isArray(v.columns) && Array.isArray(v.rows) && typeof v.truncated === "boolean";
}

/** One cell as the table shows it: NULL, strings bare, everything else as JSON. */
function cell(value: Json): string {
  if (value === null) return "NULL";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/**
 * Renders a result as a plain-text table: a header, one line per row, and a
 * closing line with the row count (and whether it was cut).
 */
export function formatQueryTable(result: QueryResult): string {
  const rows = [result.columns.map((c) => c.name), ...result.rows.map((r) => r.map(cell))];
  const widths = result.columns.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const numeric = result.columns.map((c) =>
    /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|DECIMAL)/.test(c.type)
  );
  const line = (r: string[]) =>
    r.map((v, c) => (numeric[c] ? v.padStart(widths[c]!) : v.padEnd(widths[c]!))).join("  ")
      .trimEnd();
  const out = [
    line(rows[0]!),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.slice(1).map(line),
  ];
  const n = result.rows.length;
  out.push(`(${n} row${n === 1 ? "" : "s"}${result.truncated ? ", truncated" : ""})`);
  return out.join("\n");
}
