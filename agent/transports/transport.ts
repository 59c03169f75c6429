/**
 * The transport interface: how the shipper hands an encoded batch to the
 * network. One folder per implementation (`mqtt/`, later `kafka/`).
 *
 * @module
 */
import type { Component, ComponentFactory } from "@tributary/shared/component";
import { PermanentError } from "@tributary/shared/errors";
import type { Logger } from "@tributary/shared/log";
import type { Kind } from "@tributary/shared/records";

/** One encoded batch, ready to send. */
export interface OutgoingBatch {
  agent: string;
  stream: Kind;
  firstSeq: bigint;
  lastSeq: bigint;
  rowCount: number;
  /** The wire message (envelope + body). */
  bytes: Uint8Array;
}

/**
 * A running transport. Transports never queue messages themselves: the
 * agent's DuckDB buffer is the only store.
 */
export interface Transport extends Component {
  /**
   * Sends one batch. Resolves when delivery is confirmed (MQTT: the hub's
   * end-to-end ack by default, or the broker's PUBACK). Rejects with
   * `RetryableError` (not connected, disconnected while waiting, timeout,
   * stopped), `BatchRejectedError` (the hub refused the batch for good) or
   * another `PermanentError` (e.g. message too large); never queues while
   * disconnected.
   */
  send(message: OutgoingBatch): Promise<void>;
  /** True while the transport can send. */
  readonly connected: boolean;
  /**
   * Publishes one heartbeat payload (`shared/heartbeat.ts`) at most once, without
   * waiting for confirmation and never queueing it. Returns false when it
   * cannot now (not connected). Optional: a transport without it sends none.
   */
  publishHeartbeat?(payload: Uint8Array): boolean;
}

/**
 * The receiving end refused a batch for good (the hub quarantined it, e.g.
 * `schema_mismatch`): neither resending nor splitting can help, so the
 * shipper drops the whole batch and counts its rows under `reason`.
 */
export class BatchRejectedError extends PermanentError {
  override readonly name: string = "BatchRejectedError";
}

/** What the agent gives a transport. */
export interface TransportContext {
  readonly agent: string;
  readonly log: Logger;
}

/** Creates transports of one type. */
export type TransportFactory<Config> = ComponentFactory<Config, TransportContext, Transport>;
