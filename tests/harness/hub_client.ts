/**
 * The few hub API calls the integration tests make, with timeouts, and bodies
 * always consumed so no fetch resource outlives a test.
 *
 * @module
 */
import { type Kind, KINDS } from "@tributary/shared/records";
import { canonicalRow, COMPARED_COLUMNS } from "./expected_rows.ts";

/** The JSON answer of `POST /api/v1/query`. */
export interface QueryAnswer {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

/** Runs read-only SQL on the hub; throws with the hub's error text on a non-2xx answer. */
export async function hubQuery(hubUrl: string, sql: string): Promise<QueryAnswer> {
  const response = await fetch(`${hubUrl}/api/v1/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sql }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`hub query failed (${response.status}): ${body.error}`);
  return body as QueryAnswer;
}

/** Row counts of the four tables. */
export async function tableCounts(hubUrl: string): Promise<Record<Kind, number>> {
  const sql = `SELECT ${KINDS.map((k) => `(SELECT count(*) FROM ${k})`).join(", ")}`;
  const row = (await hubQuery(hubUrl, sql)).rows[0] ?? [];
  return Object.fromEntries(KINDS.map((k, i) => [k, Number(row[i])])) as Record<Kind, number>;
}

/** Rows stored in the four tables together. */
export async function storedRows(hubUrl: string): Promise<number> {
  const counts = await tableCounts(hubUrl);
  return KINDS.reduce((sum, kind) => sum + counts[kind], 0);
}

/** The hub's /metrics page. */
export async function hubMetrics(hubUrl: string): Promise<string> {
  const response = await fetch(`${hubUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  return await response.text();
}

/**
 * The value of one sample on a Prometheus text page, e.g.
 * `metricValue(page, 'tributary_hub_quarantined_total{reason="truncated"}')`; 0 when absent.
 */
export function metricValue(page: string, sample: string): number {
  for (const line of page.split("\n")) {
    if (line.startsWith(sample + " ")) return Number(line.slice(sample.length + 1));
  }
  return 0;
}

/**
 * Batch key (`agent/stream/first/last`) → row count of every batch the hub
 * stored (its `ingested_batches`), optionally only of `stream`.
 */
export async function ingestedBatches(
  hubUrl: string,
  stream?: Kind,
): Promise<Map<string, number>> {
  const answer = await hubQuery(
    hubUrl,
    "SELECT agent, stream, first_seq, last_seq, row_count FROM ingested_batches" +
      (stream === undefined ? "" : ` WHERE stream = '${stream}'`),
  );
  return new Map(answer.rows.map((row) => [row.slice(0, 4).join("/"), Number(row[4])]));
}

/**
 * Every stored reading as `"<agent> <canonical row>"` (see expected_rows.ts),
 * to compare several agents' rows across hubs as multisets.
 */
export async function agentReadings(hubUrl: string): Promise<string[]> {
  const columns = COMPARED_COLUMNS.readings;
  const answer = await hubQuery(hubUrl, `SELECT agent, ${columns.join(", ")} FROM readings`);
  return answer.rows.map((row) =>
    `${row[0]} ${
      canonicalRow("readings", Object.fromEntries(columns.map((c, i) => [c, row[i + 1]])))
    }`
  );
}
