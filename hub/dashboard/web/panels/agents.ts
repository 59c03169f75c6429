/**
 * Agents panel: every agent from `GET /api/v1/agents` with its status
 * (online or stale), last batch and heartbeat, rows stored, backlog and drops.
 *
 * @module
 */
import { empty, h, replaceChildren, table } from "../dom.ts";
import { formatAgo, formatCount, formatDuration } from "../format.ts";
import { guarded, type Panel, type PanelContext, panelParts, setState } from "./panel.ts";

interface StreamBacklog {
  rows: number;
  bytes: number;
  oldest_unsent_age_s: number;
}

/** The fields of `/api/v1/agents` the panel shows. */
export interface AgentRow {
  agent: string;
  last_seen: string | null;
  last_heartbeat: string | null;
  version: string | null;
  uptime_s: number | null;
  stale: boolean;
  streams: Record<string, { rows: number } | undefined>;
  backlog: Record<string, StreamBacklog | undefined>;
  dropped: Record<string, Record<string, number> | undefined>;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Creates the panel in `#agents`. */
export function agentsPanel(ctx: PanelContext): Panel {
  const { body, errors } = panelParts("agents");
  return {
    refresh: () =>
      guarded(body, errors, async () => {
        const { agents } = await ctx.api.json<{ agents: AgentRow[] }>("/api/v1/agents");
        const now = ctx.now();
        if (agents.length === 0) {
          setState(body, "empty");
          replaceChildren(body, empty("No agent has sent data yet."));
          return;
        }
        const rows = agents.map((a) => {
          const backlog = Object.values(a.backlog).filter((b): b is StreamBacklog => !!b);
          const drops = Object.entries(a.dropped).flatMap(([stream, reasons]) =>
            Object.entries(reasons ?? {}).map(([reason, n]) => ({ stream, reason, n }))
          );
          const dropTotal = sum(drops.map((d) => d.n));
          const oldest = Math.max(0, ...backlog.map((b) => b.oldest_unsent_age_s));
          return [
            { node: h("span", { class: "agent-id" }, a.agent) },
            {
              node: h(
                "span",
                { class: `badge ${a.stale ? "warn" : "ok"}`, "data-testid": "agent-status" },
                a.stale ? "stale" : "online",
              ),
            },
            formatAgo(a.last_seen, now),
            formatAgo(a.last_heartbeat, now),
            formatCount(sum(Object.values(a.streams).map((s) => s?.rows ?? 0))),
            formatCount(sum(backlog.map((b) => b.rows))),
            backlog.length ? formatDuration(oldest) : "—",
            {
              node: formatCount(dropTotal),
              class: dropTotal > 0 ? "bad" : "",
              title: drops.map((d) => `${d.stream} ${d.reason}: ${d.n}`).join("\n") || "no drops",
            },
            a.version ?? "—",
            a.uptime_s === null ? "—" : formatDuration(a.uptime_s),
          ];
        });
        replaceChildren(
          body,
          table(
            [
              "Agent",
              "Status",
              "Last batch",
              "Heartbeat",
              "Rows stored",
              "Backlog",
              "Oldest unsent",
              "Drops",
              "Version",
              "Uptime",
            ],
            rows,
            { testid: "agents-table", numeric: [4, 5, 6, 7, 9] },
          ),
        );
        setState(body, "ready");
      }),
  };
}
