/**
 * The OpenAPI 3.1 description of the hub API, served at
 * `GET /api/v1/openapi.json`. Written by hand next to the routes; a test
 * checks that every route of the app is described and every described path
 * exists.
 *
 * @module
 */
import { LOG_LEVELS } from "@tributary/shared/records";
import { ROLES } from "../auth/roles.ts";
import { RESULT_FORMATS } from "./formats/result_format.ts";
import { SERIES_AGGREGATES, SERIES_SOURCES } from "./routes/series.ts";
import { OHLCV_SOURCES } from "./routes/market.ts";
import { VERSION } from "@tributary/shared/version";

type Doc = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Doc) => ({ "application/json": { schema } });
const errorResponse = (description: string) => ({ description, content: json(ref("Error")) });

const queryParam = (
  name: string,
  description: string,
  schema: Doc = { type: "string" },
  required = false,
) => ({
  name,
  in: "query",
  required,
  description,
  schema,
});

const time = (name: string, fallback: string) =>
  queryParam(
    name,
    `ISO-8601 time (e.g. 2024-05-01T12:00:00Z), "now", or a duration before now like -15m. Default: ${fallback}.`,
  );
const format = queryParam(
  "format",
  "Answer format; overrides Accept (text/csv, application/vnd.apache.arrow.stream, application/vnd.apache.parquet).",
  { type: "string", enum: [...RESULT_FORMATS] },
);

/** Responses of a query-shaped answer in any format. */
const resultResponses = (description: string) => ({
  "200": {
    description:
      `${description} Headers x-tributary-rows and x-tributary-truncated give the row count and whether rows were cut.`,
    content: {
      "application/json": { schema: ref("QueryResult") },
      "text/csv": { schema: { type: "string" } },
      "application/vnd.apache.arrow.stream": { schema: { type: "string", format: "binary" } },
      "application/vnd.apache.parquet": { schema: { type: "string", format: "binary" } },
    },
  },
  "400": errorResponse(
    "A parameter or the SQL is refused; the error names the parameter, the value and what is allowed.",
  ),
  "401": errorResponse("No valid token."),
  "403": errorResponse("The token's role may not call this route."),
  "429": errorResponse(
    "Too many queries running and waiting (http.max_concurrent_queries, http.max_queued_queries); see Retry-After.",
  ),
});

const roles = (...admitted: string[]) => `Roles: ${["admin", ...admitted].join(", ")}.`;

/** The OpenAPI document (a fresh object each call). */
export function openApiDocument(): Doc {
  return {
    openapi: "3.1.0",
    info: {
      title: "Tributary hub API",
      version: VERSION,
      description:
        "Read-only SQL and convenience queries over the hub's DuckDB, plus token and audit administration. Send `Authorization: Bearer <token>` on every /api/v1 call (except this document).",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: { type: "string" },
            parameter: { type: "string" },
            value: { type: ["string", "null"] },
            allowed: { type: "string" },
          },
        },
        QueryResult: {
          type: "object",
          required: ["columns", "rows", "truncated"],
          properties: {
            columns: {
              type: "array",
              items: {
                type: "object",
                properties: { name: { type: "string" }, type: { type: "string" } },
              },
            },
            rows: { type: "array", items: { type: "array", items: {} } },
            truncated: { type: "boolean" },
          },
        },
        Token: {
          type: "object",
          properties: {
            id: { type: "string" },
            name: { type: "string" },
            role: { type: "string", enum: [...ROLES] },
            created_at: { type: "string", format: "date-time" },
            revoked_at: { type: ["string", "null"], format: "date-time" },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      "/healthz": {
        get: {
          summary: "Liveness.",
          security: [],
          responses: { "200": { description: '{"status":"ok"}' } },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics (public unless [auth] public_metrics = false).",
          security: [],
          responses: {
            "200": {
              description: "Prometheus text format.",
              content: { "text/plain": { schema: { type: "string" } } },
            },
          },
        },
      },
      "/api/v1/openapi.json": {
        get: {
          summary: "This document.",
          security: [],
          responses: { "200": { description: "OpenAPI 3.1." } },
        },
      },
      "/api/v1/whoami": {
        get: {
          summary: "The caller's token id, name and role, and the auth mode. " +
            roles("reader", "agent"),
          responses: {
            "200": { description: '{"id","name","role","mode"}' },
            "401": errorResponse("No valid token."),
          },
        },
      },
      "/api/v1/query": {
        post: {
          summary: "Run one read-only SELECT. " + roles("reader"),
          description:
            "Exactly one SELECT; writes, COPY, ATTACH, INSTALL/LOAD, SET/PRAGMA and file or network access (read_csv, read_text, glob...) are refused. Interrupted after http.query_timeout_ms; at most http.query_max_rows rows. Audited.",
          parameters: [format],
          requestBody: {
            required: true,
            content: json({
              type: "object",
              required: ["sql"],
              properties: { sql: { type: "string" } },
            }),
          },
          responses: { ...resultResponses("The result."), "413": errorResponse("Body too large.") },
        },
      },
      "/api/v1/agents": {
        get: {
          summary: "Agents with stream totals, latest heartbeat and stale flag. " +
            roles("reader", "agent"),
          responses: {
            "200": { description: '{"agents":[...]}' },
            "401": errorResponse("No valid token."),
          },
        },
      },
      "/api/v1/series": {
        get: {
          summary: "One sensor's readings per time bucket. " + roles("reader"),
          description:
            "Columns: ts (bucket start), value (the aggregate), samples. from/to are rounded out to whole steps. The JSON field source and header x-tributary-source say whether the sensor_minute rollup or raw readings answered.",
          parameters: [
            queryParam("sensor", "Sensor id.", { type: "string" }, true),
            queryParam("metric", "Metric (all of the sensor's when absent)."),
            queryParam("agent", "Agent id (all when absent)."),
            time("from", "one hour before to"),
            time("to", "now"),
            queryParam("step", "Bucket width, e.g. 10s, 1m, 1h (1ms to 366d). Default 1m.", {
              type: "string",
            }),
            queryParam("aggregate", "Default avg.", {
              type: "string",
              enum: Object.keys(SERIES_AGGREGATES),
            }),
            queryParam(
              "source",
              "auto (default): the sensor_minute rollup when the step is whole minutes and the aggregate is not first; raw: readings.",
              { type: "string", enum: [...SERIES_SOURCES] },
            ),
            format,
          ],
          responses: resultResponses("Buckets, oldest first."),
        },
      },
      "/api/v1/market/ohlcv": {
        get: {
          summary: "Candles for one symbol. " + roles("reader"),
          description:
            "Columns: ts (interval start), open, high, low, close, volume, vwap, trades. from/to are rounded out to whole intervals. The JSON field source and header x-tributary-source say whether an ohlcv_<width> rollup view or raw trades answered.",
          parameters: [
            queryParam("symbol", "Ticker, e.g. AAPL.", { type: "string" }, true),
            queryParam("interval", "Candle width, e.g. 1m, 5m, 1h, 1d (1s to 31d). Default 1m."),
            time("from", "one day before to"),
            time("to", "now"),
            queryParam(
              "source",
              "auto (default): the coarsest ohlcv_<width> rollup view whose width divides the interval; raw: trades.",
              { type: "string", enum: [...OHLCV_SOURCES] },
            ),
            format,
          ],
          responses: resultResponses("Candles, oldest first."),
        },
      },
      "/api/v1/latest": {
        get: {
          summary: "Last value per (agent, sensor, metric); last trade and quote per symbol. " +
            roles("reader"),
          parameters: [
            queryParam("agent", "Only this agent."),
            queryParam("symbol", "Only this symbol."),
          ],
          responses: {
            "200": {
              description:
                '{"readings":[{agent,sensor,metric,value,unit,ts}],"trades":[...],"quotes":[...]}',
            },
            "401": errorResponse("No valid token."),
          },
        },
      },
      "/api/v1/logs": {
        get: {
          summary: "Log lines, newest first. " + roles("reader"),
          description: "Columns: ts, agent, source, level, message, fields.",
          parameters: [
            time("from", "one hour ago"),
            time("to", "one minute from now"),
            queryParam("level", `Comma-separated levels among ${LOG_LEVELS.join(", ")}.`),
            queryParam("source", "Exact source."),
            queryParam("agent", "Exact agent id."),
            queryParam("q", "Case-insensitive text the message contains."),
            queryParam("limit", "Most lines. Default 100.", { type: "integer", minimum: 1 }),
            format,
          ],
          responses: resultResponses("Log lines."),
        },
      },
      "/api/v1/tokens": {
        get: {
          summary: "List API tokens (never their secrets). " + roles(),
          responses: {
            "200": { description: '{"tokens":[Token]}' },
            "403": errorResponse("Not an admin."),
          },
        },
        post: {
          summary: "Create a token; the secret is in this answer only. Audited. " + roles(),
          requestBody: {
            required: true,
            content: json({
              type: "object",
              required: ["name", "role"],
              properties: {
                name: { type: "string", pattern: "^[\\w.@-]{1,64}$" },
                role: { type: "string", enum: [...ROLES] },
              },
            }),
          },
          responses: {
            "201": { description: "Token plus its secret `token`.", content: json(ref("Token")) },
            "400": errorResponse("Bad name or role."),
            "403": errorResponse("Not an admin."),
          },
        },
      },
      "/api/v1/tokens/{id}": {
        delete: {
          summary: "Revoke the token with this id, or every valid token with this name. Audited. " +
            roles(),
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": { description: '{"revoked":[ids]}' },
            "404": errorResponse("No valid token matched."),
            "403": errorResponse("Not an admin."),
          },
        },
      },
      "/api/v1/audit": {
        get: {
          summary: "The audit log, newest first: who, when, what, status, rows, bytes. " + roles(),
          parameters: [
            time("from", "no lower bound"),
            time("to", "no upper bound"),
            queryParam(
              "action",
              "e.g. query, token.create, token.revoke, audit.read, quarantine.read, forbidden.",
            ),
            queryParam("token_name", "Only this token name."),
            queryParam("limit", "Most entries. Default 1000.", {
              type: "integer",
              minimum: 1,
              maximum: 100000,
            }),
          ],
          responses: {
            "200": { description: '{"entries":[...]}' },
            "403": errorResponse("Not an admin."),
          },
        },
      },
      "/api/v1/quarantine": {
        get: {
          summary: "Quarantined messages (reason, detail, size; not the raw bytes). Audited. " +
            roles(),
          parameters: [
            time("from", "no lower bound"),
            time("to", "now"),
            queryParam("reason", "Only this reason."),
            queryParam("limit", "Most entries. Default 100.", { type: "integer", minimum: 1 }),
            format,
          ],
          responses: resultResponses("Quarantine entries, newest first."),
        },
      },
    },
  };
}
