/**
 * Decoder limits: what a hub is willing to allocate for one message, whoever
 * sent it.
 *
 * @module
 */

/** Upper bounds the decoder enforces before it allocates; over one, it throws `oversized`. */
export interface DecodeLimits {
  /** Largest whole message, header included. @default 67108864 (64 MiB) */
  maxMessageBytes?: number;
  /** Largest Arrow IPC body after decompression. @default 268435456 (256 MiB) */
  maxRawBodyBytes?: number;
  /** Most rows in one batch. @default 1000000 */
  maxRows?: number;
}

/** The limits used where {@linkcode DecodeLimits} says nothing. */
export const DEFAULT_DECODE_LIMITS: Readonly<Required<DecodeLimits>> = Object.freeze({
  maxMessageBytes: 64 * 1024 * 1024,
  maxRawBodyBytes: 256 * 1024 * 1024,
  maxRows: 1_000_000,
});

/**
 * Fills in defaults and checks each given limit.
 *
 * @throws {RangeError} when a limit is not a positive integer (a programming
 * error, not bad wire input).
 */
export function resolveDecodeLimits(limits: DecodeLimits = {}): Required<DecodeLimits> {
  const resolved = { ...DEFAULT_DECODE_LIMITS };
  for (const key of Object.keys(DEFAULT_DECODE_LIMITS) as (keyof DecodeLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(
        `DecodeLimits.${key}: got ${String(value)}, expected a positive integer`,
      );
    }
    resolved[key] = value;
  }
  return resolved;
}
