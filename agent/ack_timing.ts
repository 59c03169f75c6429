/**
 * Times every batch a transport confirms, from `send()` to its resolution
 * (the hub's end-to-end ack by default), for the agent's
 * `tributary_agent_ack_seconds` histogram. Failed sends are not timed: their
 * retries are counted by the shipper instead.
 *
 * @module
 */
import type { Kind } from "@tributary/shared/records";
import type { Transport } from "./transports/transport.ts";

/** Receives the stream and seconds of each confirmed send. */
export type AckObserver = (kind: Kind, seconds: number) => void;

/**
 * Wraps `transport` so each confirmed `send()` reports its duration to
 * `observe`; everything else is passed through.
 *
 * @example
 * ```ts
 * const timed = timeAcks(transport, (kind, s) => metrics.ackObserved(kind, s));
 * ```
 */
export function timeAcks(
  transport: Transport,
  observe: AckObserver,
  now: () => number = () => performance.now(),
): Transport {
  const timed: Transport = {
    start: () => transport.start(),
    stop: () => transport.stop(),
    get connected() {
      return transport.connected;
    },
    async send(message) {
      const started = now();
      await transport.send(message);
      observe(message.stream, (now() - started) / 1000);
    },
  };
  if (transport.publishHeartbeat) {
    timed.publishHeartbeat = (payload) => transport.publishHeartbeat!(payload);
  }
  return timed;
}
