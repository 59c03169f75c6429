/**
 * What each agent last reported in its heartbeat (backlog, oldest unsent
 * row, drops) and how old that heartbeat is, as hub gauges computed at
 * scrape time: one scrape of the hub shows the whole fleet's backlog.
 *
 * @module
 */
import { Gauge, type Registry } from "prom-client";
import type { AgentSummary } from "./store/agents.ts";

/** Reads the agents at scrape time (the hot store's `agents()`). */
export type AgentSource = () => Promise<AgentSummary[]>;

/**
 * Registers the fleet gauges in `registry`. One `agents()` call serves every
 * gauge of a scrape; agents and streams that are gone disappear from the page.
 * A failing source keeps the last values rather than failing the scrape.
 *
 * @example
 * ```ts
 * registerFleetMetrics(registry, () => store.agents({ staleAfterS: 15 }));
 * ```
 */
export function registerFleetMetrics(
  registry: Registry,
  agents: AgentSource,
  nowMs: () => number = Date.now,
): void {
  let fetchedAt = -Infinity;
  let pending: Promise<AgentSummary[] | undefined> | undefined;
  const snapshot = () => {
    if (pending === undefined || performance.now() - fetchedAt > 250) {
      fetchedAt = performance.now();
      pending = agents().catch(() => undefined);
    }
    return pending;
  };
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fill: (g: Gauge<L>, list: AgentSummary[]) => void,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const list = await snapshot();
        if (!list) return;
        this.reset();
        fill(this, list);
      },
    });

  gauge(
    "tributary_hub_agent_backlog_rows",
    "Rows an agent had not yet delivered, per stream, as of its latest heartbeat.",
    ["agent", "stream"],
    (g, list) => {
      for (const a of list) {
        for (const [stream, b] of Object.entries(a.backlog)) {
          if (b) g.set({ agent: a.agent, stream }, b.rows);
        }
      }
    },
  );
  gauge(
    "tributary_hub_agent_oldest_unsent_age_seconds",
    "Age of an agent's oldest undelivered row, per stream, as of its latest heartbeat.",
    ["agent", "stream"],
    (g, list) => {
      for (const a of list) {
        for (const [stream, b] of Object.entries(a.backlog)) {
          if (b) g.set({ agent: a.agent, stream }, b.oldest_unsent_age_s);
        }
      }
    },
  );
  gauge(
    "tributary_hub_agent_dropped_rows",
    "Rows an agent dropped since its buffer was created, per stream and reason, as of its " +
      "latest heartbeat (the agent's own tributary_agent_rows_dropped_total).",
    ["agent", "stream", "reason"],
    (g, list) => {
      for (const a of list) {
        for (const [stream, reasons] of Object.entries(a.dropped)) {
          for (const [reason, n] of Object.entries(reasons ?? {})) {
            g.set({ agent: a.agent, stream, reason }, n);
          }
        }
      }
    },
  );
  gauge(
    "tributary_hub_agent_heartbeat_age_seconds",
    "Seconds since the hub received an agent's latest heartbeat (agents without one are left out).",
    ["agent"],
    (g, list) => {
      const now = nowMs();
      for (const a of list) {
        if (a.last_heartbeat === null) continue;
        g.set({ agent: a.agent }, Math.max(0, (now - Date.parse(a.last_heartbeat)) / 1000));
      }
    },
  );
}
