/**
 * The agent's store-and-forward buffer (one DuckDB file).
 *
 * @module
 */
export * from "./buffer.ts";
export { validateRows } from "./rows.ts";
export type { InputCheckpoint } from "./checkpoints.ts";
