/**
 * The Tributary release both programs report (agent heartbeats, `--help`).
 *
 * @module
 */

/** The release version of agent and hub, semver. */
export const VERSION = "0.1.0";
