/**
 * MQTT topic names, shared by the agent's transport and the hub's consumer.
 *
 * @module
 */
import { isAgentId } from "./ids.ts";
import { isKind, type Kind } from "./records.ts";

/** Prefix of every Tributary topic, versioned with the wire format. */
export const TOPIC_PREFIX = "tributary/v1";

/** The topic an agent publishes batches of `stream` to: `tributary/v1/<agent>/<stream>`. */
export function batchTopic(agent: string, stream: Kind): string {
  return `${TOPIC_PREFIX}/${agent}/${stream}`;
}

/**
 * The topic the hub publishes its acknowledgements for `agent` to:
 * `tributary/v1/<agent>/ack` (`ack` is not a stream, so it never collides
 * with a batch topic).
 */
export function ackTopic(agent: string): string {
  return `${TOPIC_PREFIX}/${agent}/ack`;
}

/**
 * The topic an agent publishes its heartbeat to: `tributary/v1/<agent>/heartbeat`
 * (`heartbeat` is not a stream, so it never collides with a batch topic).
 */
export function heartbeatTopic(agent: string): string {
  return `${TOPIC_PREFIX}/${agent}/heartbeat`;
}

/** The agent of a heartbeat topic, or `undefined` when the topic is not one. */
export function parseHeartbeatTopic(topic: string): string | undefined {
  return parseControlTopic(topic, "heartbeat");
}

/** The agent of an ack topic, or `undefined` when the topic is not one. */
export function parseAckTopic(topic: string): string | undefined {
  return parseControlTopic(topic, "ack");
}

function parseControlTopic(topic: string, leaf: string): string | undefined {
  const parts = topic.split("/");
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== TOPIC_PREFIX) return undefined;
  const [, , agent, last] = parts;
  return last === leaf && isAgentId(agent) ? agent : undefined;
}

/** The filter a hub subscribes to for every agent's batches. */
export const BATCH_TOPIC_FILTER = `${TOPIC_PREFIX}/+/+`;

/**
 * Splits a batch topic into agent and stream, or returns `undefined` when the
 * topic is not one (wrong prefix, bad agent id, unknown stream).
 */
export function parseBatchTopic(topic: string): { agent: string; stream: Kind } | undefined {
  const parts = topic.split("/");
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== TOPIC_PREFIX) return undefined;
  const [, , agent, stream] = parts;
  if (!isAgentId(agent) || !isKind(stream)) return undefined;
  return { agent, stream };
}
