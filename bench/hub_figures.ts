/**
 * Reads a finished benchmark's figures from the hub itself: row counts and
 * latency from its tables, wire bytes from its /metrics.
 *
 * @module
 */
import { type Kind, KINDS } from "@tributary/shared/records";
import { hubQuery } from "../tests/harness/hub_client.ts";

/** What one run measured at the hub. */
export interface HubFigures {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  wireBytes: number;
  wireMiBPerSecond: number;
  wireBytesPerRow: number;
  bytesPerRowByKind: Partial<Record<Kind, number>>;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

/** Waits until every table holds at least `rowsPerKind` rows, or throws after `timeoutMs`. */
export async function waitForRows(
  hubUrl: string,
  rowsPerKind: number,
  timeoutMs: number,
): Promise<void> {
  const sql = `SELECT ${KINDS.map((k) => `(SELECT count(*) FROM ${k})`).join(", ")}`;
  const deadline = Date.now() + timeoutMs;
  let last: unknown[] = [];
  while (Date.now() < deadline) {
    last = (await hubQuery(hubUrl, sql)).rows[0] ?? [];
    if (last.every((n) => Number(n) >= rowsPerKind)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `timed out waiting for ${rowsPerKind} rows per kind; have ${JSON.stringify(last)}`,
  );
}

/** Sums a metric over its series (only those with kind="<kind>" when given). */
export function metricSum(page: string, name: string, kind?: string): number {
  let total = 0;
  for (const line of page.split("\n")) {
    if (!line.startsWith(name)) continue;
    if (kind && !line.includes(`kind="${kind}"`)) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

/** Figures over everything the hub stored: throughput from first receipt to last commit. */
export async function readHubFigures(hubUrl: string): Promise<HubFigures> {
  const union = KINDS.map((k) => `SELECT recv_ts, ingested_at FROM ${k}`).join(" UNION ALL ");
  const [row] = (await hubQuery(
    hubUrl,
    `SELECT count(*),
            epoch_ns(max(ingested_at)) - epoch_ns(min(recv_ts)),
            quantile_cont(epoch_ns(ingested_at) - epoch_ns(recv_ts), 0.5),
            quantile_cont(epoch_ns(ingested_at) - epoch_ns(recv_ts), 0.99)
     FROM (${union})`,
  )).rows;
  const [rows, spanNs, p50Ns, p99Ns] = (row ?? []).map(Number) as [number, number, number, number];
  const page = await (await fetch(`${hubUrl}/metrics`, { signal: AbortSignal.timeout(10_000) }))
    .text();
  const wireBytes = metricSum(page, "tributary_hub_bytes_total");
  const bytesPerRowByKind: Partial<Record<Kind, number>> = {};
  for (const kind of KINDS) {
    const kindRows = metricSum(page, "tributary_hub_rows_total", kind);
    if (kindRows > 0) {
      bytesPerRowByKind[kind] = metricSum(page, "tributary_hub_bytes_total", kind) / kindRows;
    }
  }
  const seconds = spanNs / 1e9;
  return {
    rows,
    seconds,
    rowsPerSecond: rows / seconds,
    wireBytes,
    wireMiBPerSecond: wireBytes / 1024 / 1024 / seconds,
    wireBytesPerRow: wireBytes / rows,
    bytesPerRowByKind,
    latencyP50Ms: p50Ns / 1e6,
    latencyP99Ms: p99Ns / 1e6,
  };
}
