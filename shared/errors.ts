/**
 * The two kinds of failure every component reports, after the OpenTelemetry
 * Collector's consumererror: a permanent error will fail again whatever we do
 * (quarantine the input and count it), a retryable one may pass later (keep the
 * data, back off with jitter, try again).
 *
 * @module
 */

/** A failure that will recur on retry: bad input, schema mismatch, refused by policy. */
export class PermanentError extends Error {
  override readonly name: string = "PermanentError";
  /** A short machine-readable reason, used as a metric label and a quarantine reason. */
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** A failure that may pass later: broker down, timeout, disk busy. */
export class RetryableError extends Error {
  override readonly name: string = "RetryableError";
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * A configuration value that is not allowed. The message names the field (a
 * dotted path), the value seen and what is allowed, so the operator can fix
 * the file without reading code.
 *
 * @example
 * ```ts
 * throw new ConfigError("transport.mqtt.qos", 3, "0 or 1");
 * // transport.mqtt.qos: got 3, expected 0 or 1
 * ```
 */
export class ConfigError extends Error {
  override readonly name: string = "ConfigError";
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string;
  constructor(field: string, value: unknown, allowed: string) {
    super(`${field}: got ${describeValue(value)}, expected ${allowed}`);
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "bigint") return `${value}`;
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}
