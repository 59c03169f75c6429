/**
 * A token bucket over bytes, for `[shipper] max_bytes_per_sec`: every message
 * the shipper hands to the transport first reserves its size here, so the
 * bytes sent stay at `bytesPerSec` on average.
 *
 * The bucket holds at most `burstBytes` (by default a quarter of a second's
 * worth) and starts full. A message waits until the bucket holds its size,
 * or is full when the message is larger than the whole bucket; its bytes are
 * then taken, possibly driving the bucket below zero (a debt later messages
 * wait out). So over any interval of T seconds at most
 * `max(burstBytes, largest message) + bytesPerSec × T` bytes leave, and the
 * long-run average never exceeds `bytesPerSec`.
 *
 * Reservations are first come, first served: a message reserved later never
 * leaves before one reserved earlier.
 *
 * @module
 */

/** Options of {@linkcode TokenBucket}. */
export interface TokenBucketOptions {
  /** Sustained rate, bytes per second (> 0). */
  bytesPerSec: number;
  /** Bucket size in bytes. @default bytesPerSec / 4, at least 1 */
  burstBytes?: number;
  /** Monotonic clock in ms. @default performance.now */
  now?: () => number;
}

/** A byte-rate limiter; see the module documentation. */
export class TokenBucket {
  readonly bytesPerSec: number;
  readonly burstBytes: number;
  readonly #now: () => number;
  /**
   * The time (ms) at which the bucket is full again given every reservation
   * so far ("theoretical arrival time" of the generic cell rate algorithm).
   */
  #fullAt: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.bytesPerSec > 0) || !Number.isFinite(options.bytesPerSec)) {
      throw new RangeError(
        `TokenBucket: bytesPerSec must be a finite number > 0, got ${options.bytesPerSec}`,
      );
    }
    const burst = options.burstBytes ?? Math.max(1, options.bytesPerSec / 4);
    if (!(burst > 0) || !Number.isFinite(burst)) {
      throw new RangeError(`TokenBucket: burstBytes must be a finite number > 0, got ${burst}`);
    }
    this.bytesPerSec = options.bytesPerSec;
    this.burstBytes = burst;
    this.#now = options.now ?? (() => performance.now());
    this.#fullAt = this.#now();
  }

  /** Bytes in the bucket now (negative while in debt). */
  tokens(): number {
    const missingMs = Math.max(0, this.#fullAt - this.#now());
    return this.burstBytes - missingMs * this.bytesPerSec / 1000;
  }

  /**
   * Reserves `bytes` and returns how many ms from now the message may leave
   * (0: at once). The reservation is taken whatever the caller does next.
   */
  reserve(bytes: number): number {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) {
      throw new RangeError(`TokenBucket.reserve: bytes must be a finite number >= 0, got ${bytes}`);
    }
    const now = this.#now();
    const msPerByte = 1000 / this.bytesPerSec;
    // May leave once the bucket holds min(bytes, burst): i.e. once fullAt is
    // at most (burst - min(bytes, burst)) bytes' worth of time away.
    const slackMs = (this.burstBytes - Math.min(bytes, this.burstBytes)) * msPerByte;
    const leaveAt = Math.max(now, this.#fullAt - slackMs);
    this.#fullAt = Math.max(this.#fullAt, leaveAt) + bytes * msPerByte;
    return leaveAt - now;
  }

  /**
   * Waits until `bytes` may leave. Rejects with `signal.reason` when `signal`
   * aborts first (the reservation stays taken).
   */
  take(bytes: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const delay = this.reserve(bytes);
    if (delay <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, delay);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
