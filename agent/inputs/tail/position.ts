/**
 * The tail input's checkpoint: for each followed path, which file (device and
 * inode) it was reading and the byte offset after the last line committed.
 * Stored as JSON under the checkpoint name `file:<path>`.
 *
 * @module
 */

/** Where reading of one path stands. */
export interface FilePosition {
  dev: number;
  ino: number;
  /** Byte offset after the last committed line. */
  offset: number;
  /**
   * Hex of the (up to 64) bytes just before `offset`, when known: after a
   * restart they tell a file truncated and rewritten past the offset from
   * the same file grown, and find the copy `copytruncate` made.
   */
  fp?: string;
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** The bytes of a hex string (as written by {@linkcode toHex}). */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The checkpoint name of `path`. */
export function checkpointName(path: string): string {
  return `file:${path}`;
}

/** Serializes a position for `InputContext.write`. */
export function encodePosition(position: FilePosition): string {
  const { dev, ino, offset, fp } = position;
  return JSON.stringify(fp ? { dev, ino, offset, fp } : { dev, ino, offset });
}

/** Parses a stored position; `undefined` when it is not one (then the file is read as new). */
export function decodePosition(text: string | undefined): FilePosition | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return undefined;
    const { dev, ino, offset, fp } = value as Record<string, unknown>;
    const ok = [dev, ino, offset].every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
    if (!ok) return undefined;
    const position: FilePosition = {
      dev: dev as number,
      ino: ino as number,
      offset: offset as number,
    };
    if (typeof fp === "string" && /^(?:[0-9a-f]{2}){1,64}$/.test(fp)) position.fp = fp;
    return position;
  } catch {
    return undefined;
  }
}
