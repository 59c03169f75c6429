/**
 * Body compression: the codec ids of the envelope and the zlib calls behind
 * them. Decompression is bounded by the raw length the header declares, so a
 * small hostile message cannot make the decoder allocate more than that.
 *
 * @module
 */
import * as zlib from "node:zlib";
import { WireError } from "./errors.ts";

/** Every codec, indexed by its id in the envelope (0 none, 1 gzip, 2 zstd). */
export const CODECS = ["none", "gzip", "zstd"] as const;

/** How the Arrow IPC body is compressed. */
export type Codec = typeof CODECS[number];

/** The codec used when the encoder is not told. */
export const DEFAULT_CODEC: Codec = "zstd";

/**
 * Default compression level per codec: zstd 3 (level 1 is measured in
 * `wire_bench.ts` and `size_report.ts`), gzip 6 (zlib's own default).
 */
export const DEFAULT_LEVELS: Readonly<Record<Codec, number>> = { none: 0, gzip: 6, zstd: 3 };

/** Levels each codec accepts, both inclusive. */
const LEVEL_RANGES: Readonly<Record<Codec, readonly [number, number]>> = {
  none: [0, 0],
  gzip: [0, 9],
  zstd: [1, 22],
};

/** True when `value` names a codec. */
export function isCodec(value: unknown): value is Codec {
  return typeof value === "string" && (CODECS as readonly string[]).includes(value);
}

/** The envelope id of `codec`. */
export function codecId(codec: Codec): number {
  return CODECS.indexOf(codec);
}

/** The codec with envelope id `id`, or `undefined` for an unknown id. */
export function codecFromId(id: number): Codec | undefined {
  return CODECS[id];
}

/**
 * Compresses `raw` with `codec`; `none` returns `raw` itself.
 *
 * @throws {RangeError} when `level` is not an integer the codec accepts.
 */
export function compressBody(raw: Uint8Array, codec: Codec, level?: number): Uint8Array {
  const chosen = level ?? DEFAULT_LEVELS[codec];
  const [min, max] = LEVEL_RANGES[codec];
  if (codec !== "none" && (!Number.isInteger(chosen) || chosen < min || chosen > max)) {
    throw new RangeError(
      `EncodeOptions.level: got ${String(level)}, expected an integer ${min}..${max} for ${codec}`,
    );
  }
  switch (codec) {
    case "none":
      return raw;
    case "gzip":
      return zlib.gzipSync(raw, { level: chosen });
    case "zstd":
      return zlib.zstdCompressSync(raw, {
        params: { [zlib.constants.ZSTD_c_compressionLevel]: chosen },
      });
  }
}

/**
 * Decompresses `body` and checks it is exactly `rawLength` bytes long.
 * Output is capped at `rawLength`, so a decompression bomb fails fast.
 *
 * @throws {WireError} `corrupt_body` when the codec fails or the length differs.
 */
export function decompressBody(body: Uint8Array, codec: Codec, rawLength: number): Uint8Array {
  let raw: Uint8Array;
  try {
    switch (codec) {
      case "none":
        raw = body;
        break;
      case "gzip":
        raw = zlib.gunzipSync(body, { maxOutputLength: rawLength });
        break;
      case "zstd":
        raw = zlib.zstdDecompressSync(body, { maxOutputLength: rawLength });
        break;
    }
  } catch (error) {
    throw new WireError(
      "corrupt_body",
      `body: ${codec} decompression failed (declared raw length ${rawLength}): ${describe(error)}`,
      { cause: error },
    );
  }
  // zlib returns a Node Buffer, whose slice() is a view, not a copy: hand out a plain Uint8Array.
  raw = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.byteLength !== rawLength) {
    throw new WireError(
      "corrupt_body",
      `body: decompressed to ${raw.byteLength} bytes, header declares ${rawLength}`,
    );
  }
  return raw;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
