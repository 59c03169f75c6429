/**
 * The transport interface: how the shipper hands an encoded batch to the
 * network. One folder per implementation (`mqtt/`, later `kafka/`).
 *
 * @module
 */
import type { Component, ComponentFactory } from "@tributary/shared/component";
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
   * Sends one batch. Resolves when the transport's delivery is confirmed
   * (MQTT: PUBACK). Rejects with `RetryableError` (not connected,
   * disconnected while waiting, timeout, stopped) or `PermanentError` (e.g.
   * message too large); never queues while disconnected.
   */
  send(message: OutgoingBatch): Promise<void>;
  /** True while the transport can send. */
  readonly connected: boolean;
}

/** What the agent gives a transport. */
export interface TransportContext {
  readonly agent: string;
  readonly log: Logger;
}

/** Creates transports of one type. */
export type TransportFactory<Config> = ComponentFactory<Config, TransportContext, Transport>;
