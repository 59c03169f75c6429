/**
 * API roles and what each may do. A route names the roles it admits; `admin`
 * is admitted everywhere.
 *
 * - `reader`: queries and every read endpoint (series, market, latest, logs, agents).
 * - `agent`: what an edge agent needs from the hub API: `whoami` and `GET /api/v1/agents`
 *   (its own delivery state). Agents ship data over MQTT, not HTTP.
 * - `admin`: everything, including tokens and the audit log.
 *
 * @module
 */

/** The roles, least to most powerful. */
export const ROLES = ["agent", "reader", "admin"] as const;

/** One API role. */
export type Role = typeof ROLES[number];

/** True when `value` is a role name. */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** True when `role` may call a route that admits `admitted` (admin may call every route). */
export function roleAdmitted(role: Role, admitted: readonly Role[]): boolean {
  return role === "admin" || admitted.includes(role);
}
