/**
 * Matching the hub's end-to-end acks to the sends waiting for them (`ack =
 * "hub"`), shared by the MQTT and Kafka transports: a send is registered
 * under its (stream, first_seq, last_seq) before it goes out, and the ack
 * with the same range settles it (a `rejected` ack with
 * {@linkcode BatchRejectedError}). Acks for nothing pending (late, repeated,
 * from before a restart) and payloads that are not acks are ignored and
 * counted.
 *
 * @module
 */
import { parseAck } from "@tributary/shared/ack";
import { RetryableError } from "@tributary/shared/errors";
import type { Logger } from "@tributary/shared/log";
import { BatchRejectedError } from "./transport.ts";

/** Counters of the hub acks a transport received. */
export interface HubAckCounters {
  /** Acks that settled a pending send. */
  matched: number;
  /** Well-formed acks for nothing pending (late, repeated, from before a restart). */
  unknown: number;
  /** Payloads meant as acks for this agent that are not a valid ack. */
  invalid: number;
}

/** A send waiting for its hub ack. */
export interface AckWaiter {
  /** Resolves the send (no error) or rejects it; called at most once here. */
  settle(error?: Error): void;
}

/** A waiting send with the timer that bounds its wait. */
export interface TimedAckWaiter extends AckWaiter {
  /** The {@linkcode ackKey} it waits under. */
  readonly key: string;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Hub mode, once the broker acknowledged the send: replaces its send timer
 * with the hub-ack wait, which fails it retryably (`ack_timeout`) when no hub
 * ack settles it within `ackTimeoutMs`. `brokerAck` names the broker's
 * acknowledgement in the message ("the PUBACK").
 */
export function awaitHubAck(
  waiter: TimedAckWaiter,
  ackTimeoutMs: number,
  log: Logger,
  brokerAck: string,
): void {
  clearTimeout(waiter.timer);
  waiter.timer = setTimeout(() => {
    log.debug("no hub ack in time", { key: waiter.key });
    waiter.settle(
      new RetryableError("ack_timeout", `no hub ack within ${ackTimeoutMs} ms of ${brokerAck}`),
    );
  }, ackTimeoutMs);
}

/** The key acks are matched on: `stream/first_seq/last_seq`. */
export function ackKey(stream: string, firstSeq: bigint, lastSeq: bigint): string {
  return `${stream}/${firstSeq}/${lastSeq}`;
}

/**
 * The sends waiting for a hub ack, by {@linkcode ackKey}; several sends of
 * the same range (a resend while the first is still waiting) are all settled
 * by one ack.
 *
 * @example
 * ```ts
 * const waiters = new HubAckWaiters<PendingSend>();
 * waiters.wait(ackKey("readings", 1n, 500n), pending); // before publishing
 * waiters.receive(payload, log);                       // on the ack topic
 * waiters.forget(pending.key, pending);                // when the send settles
 * ```
 */
export class HubAckWaiters<W extends AckWaiter> {
  readonly #waiting = new Map<string, Set<W>>();
  readonly #counters: HubAckCounters = { matched: 0, unknown: 0, invalid: 0 };

  /** Registers `waiter` for the ack named by `key` (before the send goes out: the ack may overtake the broker's). */
  wait(key: string, waiter: W): void {
    const waiting = this.#waiting.get(key);
    if (waiting) waiting.add(waiter);
    else this.#waiting.set(key, new Set([waiter]));
  }

  /** Drops `waiter` (settled another way: timeout, disconnect, stop). */
  forget(key: string, waiter: W): void {
    const waiting = this.#waiting.get(key);
    if (waiting?.delete(waiter) && waiting.size === 0) this.#waiting.delete(key);
  }

  /**
   * Parses one ack payload and settles the sends it names; an invalid
   * payload is logged at warn (with `fields`) and an ack for nothing pending
   * at debug, and both are counted. Never throws on bad input.
   */
  receive(payload: Uint8Array, log: Logger, fields: Record<string, unknown> = {}): void {
    let ack;
    try {
      ack = parseAck(payload);
    } catch (error) {
      this.#counters.invalid++;
      log.warn("invalid hub ack ignored", { ...fields, size: payload.byteLength, error });
      return;
    }
    const waiting = this.#waiting.get(ackKey(ack.stream, ack.firstSeq, ack.lastSeq));
    if (waiting === undefined) {
      this.#counters.unknown++;
      log.debug("hub ack for nothing pending ignored", {
        stream: ack.stream,
        first_seq: ack.firstSeq,
        last_seq: ack.lastSeq,
        outcome: ack.outcome,
      });
      return;
    }
    this.#counters.matched++;
    for (const waiter of [...waiting]) {
      waiter.settle(
        ack.outcome === "rejected"
          ? new BatchRejectedError(
            ack.reason ?? "rejected",
            `hub rejected ${ack.stream} ${ack.firstSeq}..${ack.lastSeq}: ${ack.reason}`,
          )
          : undefined,
      );
    }
  }

  /** The counters, as a snapshot. */
  counters(): HubAckCounters {
    return { ...this.#counters };
  }
}
