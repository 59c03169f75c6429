/**
 * `agent status`: asks the running agent for `/status`; when nothing answers
 * there, opens the buffer file read-only and computes the same figures.
 *
 * @module
 */
import { KINDS } from "@tributary/shared/records";
import { bufferPath } from "./agent.ts";
import { AgentBuffer } from "./buffer/mod.ts";
import type { AgentConfig } from "./config.ts";
import type { AgentStatus } from "./http/server.ts";

/** Where the figures came from. */
export type StatusSource = { kind: "http"; url: string } | { kind: "buffer"; path: string };

/** Options of {@linkcode readStatus}. */
export interface ReadStatusOptions {
  /** How long to wait for the running agent, in ms. @default 2000 */
  timeoutMs?: number;
}

/**
 * Reads the agent's status, live over HTTP when possible, else from the
 * buffer file (read-only).
 *
 * @throws {Error} when neither the agent nor the buffer file can be read.
 */
export async function readStatus(
  config: AgentConfig,
  options: ReadStatusOptions = {},
): Promise<{ status: AgentStatus; source: StatusSource }> {
  const { hostname, port } = config.http.address;
  const base = liveBaseUrl(config);
  if (base !== undefined) {
    const url = `${base}/status`;
    const live = await fetchStatus(url, options.timeoutMs ?? 2000);
    if (live !== undefined) return { status: live, source: { kind: "http", url } };
  }
  const path = bufferPath(config);
  let buffer: AgentBuffer;
  try {
    buffer = await AgentBuffer.open({ path, agent: config.agent.id, readOnly: true });
  } catch (error) {
    const hint = port === 0
      ? " (http.listen has port 0, so status cannot find a running agent; give it a fixed port)"
      : ` (no agent answered at ${hostname}:${port})`;
    throw new Error(`${(error as Error).message}${hint}`, { cause: error });
  }
  try {
    return {
      status: { agent: config.agent.id, streams: await buffer.stats() },
      source: { kind: "buffer", path },
    };
  } finally {
    await buffer.close();
  }
}

/**
 * The base URL a running agent of `config` answers on (`http://host:port`),
 * or `undefined` when `[http] listen` has port 0 (it cannot be found).
 */
export function liveBaseUrl(config: AgentConfig): string | undefined {
  const { hostname, port } = config.http.address;
  if (port === 0) return undefined;
  const host = hostname === "0.0.0.0"
    ? "127.0.0.1"
    : hostname === "::"
    ? "[::1]"
    : hostname.includes(":")
    ? `[${hostname}]`
    : hostname;
  return `http://${host}:${port}`;
}

async function fetchStatus(url: string, timeoutMs: number): Promise<AgentStatus | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const body: unknown = await res.json();
    return isAgentStatus(body) ? body : undefined;
  } catch {
    // Nothing listens there (or not an agent): fall back to the file.
    return undefined;
  }
}

/** True when `value` has the shape of `GET /status`. */
export function isAgentStatus(value: unknown): value is AgentStatus {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.agent !== "string" || typeof v.streams !== "object" || v.streams === null) {
    return false;
  }
  const streams = v.streams as Record<string, unknown>;
  return KINDS.every((k) => {
    const s = streams[k] as Record<string, unknown> | undefined;
    return typeof s === "object" && s !== null &&
      ["backlog_rows", "backlog_bytes", "oldest_unsent_age_s", "next_seq", "acked_rows"]
        .every((f) => typeof s[f] === "number");
  });
}

const COLUMNS = [
  "backlog_rows",
  "backlog_bytes",
  "oldest_unsent_age_s",
  "next_seq",
  "acked_rows",
  "dropped",
] as const;

/** Renders `status` as a plain-text table, with a line saying where it came from. */
export function formatStatusTable(status: AgentStatus, source: StatusSource): string {
  const header = source.kind === "http"
    ? `agent ${status.agent} (live, ${source.url})`
    : `agent ${status.agent} (not running; read from ${source.path})`;
  const rows = [
    ["stream", ...COLUMNS],
    ...KINDS.map((k) => {
      const s = status.streams[k];
      return [
        k,
        String(s.backlog_rows),
        String(s.backlog_bytes),
        s.oldest_unsent_age_s.toFixed(1),
        String(s.next_seq),
        String(s.acked_rows),
        formatDropped(s.dropped),
      ];
    }),
  ];
  // The last column (drops by reason) is text: left-aligned, so it is not padded at the end.
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) =>
    r.map((cell, c) =>
      c === 0 ? cell.padEnd(widths[c]!) : c === r.length - 1 ? cell : cell.padStart(widths[c]!)
    ).join("  ")
  );
  return [header, ...lines].join("\n");
}

/** `dropped` as one cell: the total, then the count per reason, e.g. `7 (budget_evicted=5 max_age=2)`. */
export function formatDropped(dropped: Record<string, number> | undefined): string {
  const entries = Object.entries(dropped ?? {}).filter(([, n]) => n > 0).sort(([a], [b]) =>
    a < b ? -1 : 1
  );
  if (entries.length === 0) return "0";
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  return `${total} (${entries.map(([r, n]) => `${r}=${n}`).join(" ")})`;
}
