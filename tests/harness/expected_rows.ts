/**
 * Recomputes what the simulators of an agent sent, from their seeds and
 * options, so a test can compare the hub's tables with it row for row. Every
 * non-time field of a simulated row is a pure function of (seed, options,
 * index); timestamps are wall-clock and are left out of the comparison.
 *
 * @module
 */
import { simSensors } from "../../agent/inputs/sim_sensors/mod.ts";
import { createSensorSimulator } from "../../agent/inputs/sim_sensors/generator.ts";
import { simLogs } from "../../agent/inputs/sim_logs/mod.ts";
import { createLogSimulator } from "../../agent/inputs/sim_logs/generator.ts";
import { simMarket } from "../../agent/inputs/sim_market/mod.ts";
import { createMarketSimulator } from "../../agent/inputs/sim_market/generator.ts";
import type { Kind } from "@tributary/shared/records";

/** The columns compared per kind: everything but ts, recv_ts, agent and ingested_at. */
export const COMPARED_COLUMNS: Readonly<Record<Kind, readonly string[]>> = {
  readings: ["sensor", "metric", "value", "unit", "tags"],
  logs: ["source", "level", "message", "fields"],
  trades: ["symbol", "price", "size", "exchange", "conditions", "trade_id"],
  quotes: [
    "symbol",
    "bid_price",
    "bid_size",
    "ask_price",
    "ask_size",
    "bid_exchange",
    "ask_exchange",
  ],
};

/** One row as a canonical string: the compared columns, in order, as JSON. */
export function canonicalRow(kind: Kind, row: Record<string, unknown>): string {
  return JSON.stringify(COMPARED_COLUMNS[kind].map((column) => normalize(row[column])));
}

function normalize(value: unknown): unknown {
  // JSON columns may come back as text or parsed; compare their parsed form.
  if (typeof value === "string" && (value.startsWith("{") || value.startsWith("["))) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/** Canonical rows each simulator emits for `limit` rows per kind, with default options and `seed`. */
export function expectedRows(
  seeds: { sensors: number; logs: number; market: number },
  limit: number,
): Record<Kind, string[]> {
  const s = simSensors.defaultConfig();
  const sensors = createSensorSimulator({
    seed: seeds.sensors,
    sensors: s.sensors,
    site: s.site,
    sensorsPerLine: s.sensors_per_line,
  });
  const l = simLogs.defaultConfig();
  const logs = createLogSimulator({ seed: seeds.logs, sources: l.sources, hosts: l.hosts });
  const m = simMarket.defaultConfig();
  const market = createMarketSimulator({ seed: seeds.market, symbols: m.symbols });
  const take = <T>(next: () => T) => Array.from({ length: limit }, next);
  const asRecord = (row: object) => row as Record<string, unknown>;
  return {
    readings: take(sensors.next).map((r) => canonicalRow("readings", asRecord(r))),
    logs: take(logs.next).map((r) => canonicalRow("logs", asRecord(r))),
    trades: take(market.nextTrade).map((r) => canonicalRow("trades", asRecord(r))),
    quotes: take(market.nextQuote).map((r) => canonicalRow("quotes", asRecord(r))),
  };
}

/** What is left of multiset `from` after taking out one copy of each of `take`'s items. */
export function multisetMinus(
  from: string[],
  take: string[],
): { left: string[]; missing: string[] } {
  const counts = new Map<string, number>();
  for (const item of from) counts.set(item, (counts.get(item) ?? 0) + 1);
  const missing: string[] = [];
  for (const item of take) {
    const n = counts.get(item) ?? 0;
    if (n === 0) missing.push(item);
    else counts.set(item, n - 1);
  }
  const left = [...counts].flatMap(([item, n]) => Array<string>(n).fill(item));
  return { left, missing };
}
