/**
 * Per (agent, stream) totals in the `agent_streams` table, updated inside the
 * ingest transaction, and each agent's latest heartbeat in `agent_heartbeats`,
 * replaced on receipt; both read by `GET /api/v1/agents`.
 *
 * @module
 */
import { type DuckDBConnection, DuckDBTimestampNanosecondsValue } from "@duckdb/node-api";
import type { Heartbeat } from "@tributary/shared/heartbeat";
import { isKind, type Kind } from "@tributary/shared/records";
import { isoFromNs } from "@tributary/shared/iso_time";
import { readCached, runCached } from "./statement_cache.ts";

/** Totals of one stream of one agent. */
export interface StreamSummary {
  /** Rows stored (duplicates excluded). */
  rows: number;
  /** Batches that stored at least part of their rows (`inserted` or `partial`). */
  batches: number;
  /** Highest committed sequence number. */
  last_seq: number | string;
}

/** The backlog of one stream as the agent's latest heartbeat reported it. */
export interface StreamBacklog {
  rows: number;
  bytes: number;
  oldest_unsent_age_s: number;
}

/** One agent as `GET /api/v1/agents` shows it. */
export interface AgentSummary {
  agent: string;
  /**
   * Last time a batch of this agent reached the hub (duplicates included),
   * ISO-8601 UTC; null when only heartbeats came.
   */
  last_seen: string | null;
  streams: Partial<Record<Kind, StreamSummary>>;
  /** When the hub received the latest heartbeat, ISO-8601 UTC; null when none came. */
  last_heartbeat: string | null;
  /** The agent's release, from its latest heartbeat. */
  version: string | null;
  /** Seconds the agent had been running at its latest heartbeat. */
  uptime_s: number | null;
  /** Per stream, from the latest heartbeat. */
  backlog: Partial<Record<Kind, StreamBacklog>>;
  /** Rows the agent dropped, per stream and reason, from the latest heartbeat. */
  dropped: Partial<Record<Kind, Record<string, number>>>;
  /** True when no heartbeat came for more than `stale_after_s` (or none ever). */
  stale: boolean;
}

/** Options of {@linkcode listAgents}. */
export interface ListAgentsOptions {
  /** Now, in ns since the epoch. @default the wall clock */
  nowNs?: bigint;
  /** An agent is stale after this long without a heartbeat. @default 15 */
  staleAfterS?: number;
}

/** What one ingest changes for an (agent, stream). */
export interface AgentStreamUpdate {
  agent: string;
  stream: Kind;
  seenAt: bigint;
  rowsInserted: number;
  /** 1 when the batch stored rows (or was empty and new), 0 for a duplicate. */
  batches: number;
  lastSeq: bigint;
}

/** The highest committed `last_seq` of (agent, stream), or undefined when none is. */
export async function lastCommittedSeq(
  connection: DuckDBConnection,
  agent: string,
  stream: Kind,
): Promise<bigint | undefined> {
  const reader = await readCached(
    connection,
    "SELECT last_seq FROM agent_streams WHERE agent = $1 AND stream = $2",
    [agent, stream],
  );
  const value = reader.getRows()[0]?.[0];
  return typeof value === "bigint" ? value : undefined;
}

/** Adds one ingest to the totals of (agent, stream); runs inside the caller's transaction. */
export async function recordAgentStream(
  connection: DuckDBConnection,
  update: AgentStreamUpdate,
): Promise<void> {
  await runCached(
    connection,
    `INSERT INTO agent_streams (agent, stream, last_seen, "rows", batches, last_seq)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (agent, stream) DO UPDATE SET
       last_seen = greatest(agent_streams.last_seen, excluded.last_seen),
       "rows" = agent_streams."rows" + excluded."rows",
       batches = agent_streams.batches + excluded.batches,
       last_seq = greatest(agent_streams.last_seq, excluded.last_seq)`,
    [
      update.agent,
      update.stream,
      new DuckDBTimestampNanosecondsValue(update.seenAt),
      BigInt(update.rowsInserted),
      BigInt(update.batches),
      update.lastSeq,
    ],
  );
}

/** Replaces the latest heartbeat of `hb.agent`, received at `receivedAtNs`. */
export async function recordHeartbeat(
  connection: DuckDBConnection,
  hb: Heartbeat,
  receivedAtNs: bigint,
): Promise<void> {
  await connection.run(
    `INSERT OR REPLACE INTO agent_heartbeats (agent, received_at, sent_at, version, uptime_s, streams)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      hb.agent,
      new DuckDBTimestampNanosecondsValue(receivedAtNs),
      new DuckDBTimestampNanosecondsValue(BigInt(hb.sentAt.getTime()) * 1_000_000n),
      hb.version,
      hb.uptimeS,
      JSON.stringify(hb.streams),
    ],
  );
}

/**
 * How many agents the hub knows (by batch or heartbeat) whose latest
 * heartbeat is older than `staleAfterS`, or who never sent one.
 */
export async function countStaleAgents(
  connection: DuckDBConnection,
  options: ListAgentsOptions = {},
): Promise<number> {
  const agents = await listAgents(connection, options);
  return agents.filter((a) => a.stale).length;
}

/** Every agent with its streams and latest heartbeat, ordered by agent id. */
export async function listAgents(
  connection: DuckDBConnection,
  options: ListAgentsOptions = {},
): Promise<AgentSummary[]> {
  const nowNs = options.nowNs ?? BigInt(Date.now()) * 1_000_000n;
  const staleAfterNs = BigInt(Math.round((options.staleAfterS ?? 15) * 1e9));
  const reader = await connection.runAndReadAll(
    `SELECT agent, stream, epoch_ns(last_seen), "rows", batches, last_seq
     FROM agent_streams ORDER BY agent, stream`,
  );
  const agents = new Map<string, AgentSummary & { lastSeenNs?: bigint }>();
  const entry = (agent: string) => {
    let summary = agents.get(agent);
    if (!summary) {
      summary = {
        agent,
        last_seen: null,
        streams: {},
        last_heartbeat: null,
        version: null,
        uptime_s: null,
        backlog: {},
        dropped: {},
        stale: true,
      };
      agents.set(agent, summary);
    }
    return summary;
  };
  for (const [agent, stream, lastSeen, rows, batches, lastSeq] of reader.getRows()) {
    if (typeof agent !== "string" || !isKind(stream) || typeof lastSeen !== "bigint") continue;
    const summary = entry(agent);
    if (summary.lastSeenNs === undefined || lastSeen > summary.lastSeenNs) {
      summary.lastSeenNs = lastSeen;
    }
    summary.streams[stream] = {
      rows: Number(rows),
      batches: Number(batches),
      last_seq: jsonInteger(lastSeq),
    };
  }
  const beats = await connection.runAndReadAll(
    `SELECT agent, epoch_ns(received_at), version, uptime_s, streams::VARCHAR
     FROM agent_heartbeats`,
  );
  for (const [agent, receivedAt, version, uptime, streams] of beats.getRows()) {
    if (typeof agent !== "string" || typeof receivedAt !== "bigint") continue;
    const summary = entry(agent);
    summary.last_heartbeat = isoFromNs(receivedAt);
    summary.version = typeof version === "string" ? version : null;
    summary.uptime_s = typeof uptime === "number" ? uptime : null;
    summary.stale = nowNs - receivedAt > staleAfterNs;
    for (const [stream, s] of Object.entries(parseStoredStreams(streams))) {
      if (!isKind(stream)) continue;
      summary.backlog[stream] = {
        rows: s.backlog_rows,
        bytes: s.backlog_bytes,
        oldest_unsent_age_s: s.oldest_unsent_age_s,
      };
      summary.dropped[stream] = s.dropped;
    }
  }
  return [...agents.values()]
    .sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0))
    .map(({ lastSeenNs, ...summary }) => ({
      ...summary,
      last_seen: lastSeenNs === undefined ? null : isoFromNs(lastSeenNs),
    }));
}

/** The `streams` column as stored by {@linkcode recordHeartbeat} (validated before storing). */
function parseStoredStreams(value: unknown): Record<string, {
  backlog_rows: number;
  backlog_bytes: number;
  oldest_unsent_age_s: number;
  dropped: Record<string, number>;
}> {
  if (typeof value !== "string") return {};
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null ? parsed as never : {};
  } catch {
    return {};
  }
}

/** A bigint as a JSON number when exact, else as a decimal string. */
function jsonInteger(value: unknown): number | string {
  if (typeof value !== "bigint") return Number(value);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}
