/**
 * Event times at the start of log text (RFC 3339, as RFC 5424 uses), for the
 * log inputs (`tail`, `syslog`). The clock-skew rule applied to them is the
 * shared one in `../processors/skew.ts`.
 *
 * @module
 */

/**
 * An RFC 3339 timestamp (the form RFC 5424 uses) at the start of a text:
 * `2024-05-01T12:00:00Z`, `2024-05-01 12:00:00.123456+02:00`.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})/;

/** A timestamp found at the start of a text: ns since the epoch and its length in characters. */
export interface LeadingTimestamp {
  tsNs: bigint;
  length: number;
}

/**
 * Parses the RFC 3339 timestamp `text` starts with; `undefined` when it does
 * not start with one or the date does not exist (e.g. February 30).
 *
 * @example
 * ```ts
 * parseLeadingRfc3339("2024-05-01T00:00:00.5Z GET /")?.tsNs; // 1714521600500000000n
 * ```
 */
export function parseLeadingRfc3339(text: string): LeadingTimestamp | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  // Date.UTC rolls February 30 over into March: refuse dates that do not exist.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  const fraction = BigInt((m[7] ?? "").padEnd(9, "0"));
  const zone = m[8]!;
  let offsetMin = 0;
  if (zone !== "Z" && zone !== "z") {
    const digits = zone.replace(":", "");
    const sign = digits[0] === "-" ? -1 : 1;
    offsetMin = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const tsNs = BigInt(ms - offsetMin * 60_000) * 1_000_000n + fraction;
  return { tsNs, length: m[0].length };
}
