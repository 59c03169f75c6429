/**
 * Content fingerprints of local files as S3 reports them (ETag) and the
 * SHA-256 recorded in the tier catalog, computed by streaming the file.
 *
 * @module
 */
import { createHash } from "node:crypto";

const READ_BYTES = 1 << 20;

/** MD5 of the whole file, hex: the ETag of a single-part upload. */
export async function md5File(path: string): Promise<string> {
  return await hashFile(path, "md5");
}

/** SHA-256 of the whole file, hex: the catalog's `sha256`. */
export async function sha256File(path: string): Promise<string> {
  return await hashFile(path, "sha256");
}

/**
 * The ETag S3 gives an object uploaded in parts of `partSize` bytes:
 * MD5 of the concatenated binary MD5s of the parts, hex, then `-<parts>`.
 */
export async function multipartEtag(path: string, partSize: number): Promise<string> {
  const digests: Uint8Array[] = [];
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(partSize);
  for (;;) {
    const n = await readFull(file, buffer);
    if (n === 0) break;
    digests.push(createHash("md5").update(buffer.subarray(0, n)).digest());
    if (n < partSize) break;
  }
  const outer = createHash("md5");
  for (const digest of digests) outer.update(digest);
  return `${outer.digest("hex")}-${digests.length}`;
}

/** Reads until `buffer` is full or the file ends; returns the bytes read. */
export async function readFull(file: Deno.FsFile, buffer: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled;
}

async function hashFile(path: string, algorithm: "md5" | "sha256"): Promise<string> {
  const hash = createHash(algorithm);
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(READ_BYTES);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}
