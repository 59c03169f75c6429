/**
 * Sends the agent's heartbeat every `[agent] heartbeat_interval_s`: version,
 * uptime and, per stream, backlog rows and bytes, oldest unsent age and drops
 * by reason (`shared/heartbeat.ts`). A heartbeat is a snapshot that the next
 * one supersedes, so it is never queued or retried: when the transport is
 * disconnected, that beat is skipped.
 *
 * @example
 * ```ts
 * const sender = new HeartbeatSender({ agent: "edge-1", intervalS: 5, snapshot, publish, log });
 * sender.start();
 * // ...
 * await sender.stop();
 * ```
 *
 * @module
 */
import { encodeHeartbeat, type HeartbeatStream } from "@tributary/shared/heartbeat";
import type { Logger } from "@tributary/shared/log";
import type { Kind } from "@tributary/shared/records";
import { VERSION } from "@tributary/shared/version";

/** Options of {@linkcode HeartbeatSender}. */
export interface HeartbeatSenderOptions {
  agent: string;
  /** Seconds between heartbeats; 0 sends none. */
  intervalS: number;
  /** The per-stream figures of one heartbeat. */
  snapshot(): Promise<Partial<Record<Kind, HeartbeatStream>>>;
  /** Hands the payload to the transport; false when it could not (not connected). */
  publish(payload: Uint8Array): boolean;
  log: Logger;
  /** When the agent started, in ms since the epoch. @default the sender's construction */
  startedAtMs?: number;
}

/** Publishes heartbeats on a timer; see the module documentation. */
export class HeartbeatSender {
  readonly #options: HeartbeatSenderOptions;
  readonly #startedAtMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #beating: Promise<void> | undefined;
  #stopped = false;
  #sent = 0;

  constructor(options: HeartbeatSenderOptions) {
    this.#options = options;
    this.#startedAtMs = options.startedAtMs ?? Date.now();
  }

  /** Heartbeats handed to the transport so far. */
  get sent(): number {
    return this.#sent;
  }

  /** Sends the first heartbeat at once, then one every interval. Idempotent. */
  start(): void {
    if (this.#timer !== undefined || this.#stopped || this.#options.intervalS <= 0) return;
    this.#timer = setInterval(() => this.#tick(), this.#options.intervalS * 1000);
    this.#tick();
  }

  /** Stops the timer and waits for a heartbeat being built. Idempotent; safe before start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#beating;
  }

  /**
   * Builds and publishes one heartbeat now. Resolves true when the transport
   * took it. Never throws: a failure is logged and that beat skipped.
   */
  async beat(): Promise<boolean> {
    const { agent, snapshot, publish, log } = this.#options;
    try {
      const streams = await snapshot();
      const now = Date.now();
      const payload = encodeHeartbeat({
        agent,
        version: VERSION,
        sentAt: new Date(now),
        uptimeS: Math.max(0, (now - this.#startedAtMs) / 1000),
        streams,
      });
      const taken = publish(payload);
      if (taken) this.#sent++;
      else log.debug("heartbeat skipped: transport not connected");
      return taken;
    } catch (error) {
      log.warn("heartbeat failed; skipped", { error });
      return false;
    }
  }

  #tick(): void {
    // A slow snapshot (large backlog scan) must not pile up beats.
    if (this.#beating !== undefined || this.#stopped) return;
    this.#beating = this.beat().then(() => {
      this.#beating = undefined;
    });
  }
}
