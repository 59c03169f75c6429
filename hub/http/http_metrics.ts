/**
 * Metrics of the HTTP API: requests by route and status, query latency by
 * format and outcome, authentication failures by reason. Registered in the
 * hub's registry (reused when an app is built twice on one registry).
 *
 * @module
 */
import { Counter, Histogram, type Registry } from "prom-client";

/** The API's metrics. */
export interface HttpMetrics {
  /** Requests answered, by route pattern, method and status. */
  readonly requests: Counter<"route" | "method" | "status">;
  /** Seconds per API query (SQL and convenience endpoints), by endpoint, format and outcome. */
  readonly querySeconds: Histogram<"endpoint" | "format" | "outcome">;
  /** Requests refused by authentication or authorization, by reason (missing, invalid, forbidden). */
  readonly authFailures: Counter<"reason">;
}

/** Creates (or finds) the API metrics in `registry`. */
export function createHttpMetrics(registry: Registry): HttpMetrics {
  const registers = [registry];
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  return {
    requests: existing("tributary_hub_http_requests_total") ?? new Counter({
      name: "tributary_hub_http_requests_total",
      help: "HTTP requests answered, by route pattern, method and status.",
      labelNames: ["route", "method", "status"],
      registers,
    }),
    querySeconds: existing("tributary_hub_query_seconds") ?? new Histogram({
      name: "tributary_hub_query_seconds",
      help:
        "Seconds to run and encode one API query, by endpoint, format and outcome (ok, refused).",
      labelNames: ["endpoint", "format", "outcome"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    authFailures: existing("tributary_hub_auth_failures_total") ?? new Counter({
      name: "tributary_hub_auth_failures_total",
      help: "API requests refused: missing or invalid token (401), role not allowed (403).",
      labelNames: ["reason"],
      registers,
    }),
  };
}
