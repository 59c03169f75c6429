/**
 * Per (agent, stream) totals in the `agent_streams` table: updated inside the
 * ingest transaction, read by `GET /api/v1/agents`.
 *
 * @module
 */
import { type DuckDBConnection, DuckDBTimestampNanosecondsValue } from "@duckdb/node-api";
import { isKind, type Kind } from "@tributary/shared/records";
import { isoFromNs } from "../iso_time.ts";

/** Totals of one stream of one agent. */
export interface StreamSummary {
  /** Rows stored (duplicates excluded). */
  rows: number;
  /** Batches that stored at least part of their rows (`inserted` or `partial`). */
  batches: number;
  /** Highest committed sequence number. */
  last_seq: number | string;
}

/** One agent as `GET /api/v1/agents` shows it. */
export interface AgentSummary {
  agent: string;
  /** Last time a batch of this agent reached the hub (duplicates included), ISO-8601 UTC. */
  last_seen: string;
  streams: Partial<Record<Kind, StreamSummary>>;
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
  const reader = await connection.runAndReadAll(
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
  await connection.run(
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

/** Every agent with its streams, ordered by agent id. */
export async function listAgents(connection: DuckDBConnection): Promise<AgentSummary[]> {
  const reader = await connection.runAndReadAll(
    `SELECT agent, stream, epoch_ns(last_seen), "rows", batches, last_seq
     FROM agent_streams ORDER BY agent, stream`,
  );
  const agents = new Map<string, AgentSummary & { lastSeenNs: bigint }>();
  for (const [agent, stream, lastSeen, rows, batches, lastSeq] of reader.getRows()) {
    if (typeof agent !== "string" || !isKind(stream) || typeof lastSeen !== "bigint") continue;
    let summary = agents.get(agent);
    if (!summary) {
      summary = { agent, last_seen: "", streams: {}, lastSeenNs: lastSeen };
      agents.set(agent, summary);
    }
    if (lastSeen > summary.lastSeenNs) summary.lastSeenNs = lastSeen;
    summary.streams[stream] = {
      rows: Number(rows),
      batches: Number(batches),
      last_seq: jsonInteger(lastSeq),
    };
  }
  return [...agents.values()].map(({ lastSeenNs, ...summary }) => ({
    ...summary,
    last_seen: isoFromNs(lastSeenNs),
  }));
}

/** A bigint as a JSON number when exact, else as a decimal string. */
function jsonInteger(value: unknown): number | string {
  if (typeof value !== "bigint") return Number(value);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}
