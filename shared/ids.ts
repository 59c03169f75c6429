/**
 * Agent ids appear in MQTT topics, Kafka keys and file paths, so they are
 * restricted to characters that are safe in all three.
 *
 * @module
 */

/** Letters, digits, `_`, `.` and `-`; 1 to 64 characters; not starting with `.` or `-`. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** Human-readable form of {@linkcode AGENT_ID_PATTERN}, for error messages. */
export const AGENT_ID_RULE = "1 to 64 characters of A-Z a-z 0-9 _ . -, not starting with . or -";

/** True when `id` is a valid agent id. */
export function isAgentId(id: unknown): id is string {
  return typeof id === "string" && AGENT_ID_PATTERN.test(id);
}
