/**
 * Where flat files come from: a local folder (walked recursively) or an S3
 * bucket prefix (Polygon's `https://files.polygon.io` or any S3-compatible
 * store), both listed in key order — Polygon's keys
 * (`us_stocks_sip/trades_v1/2024/04/2024-04-05.csv.gz`) sort by dataset, then date.
 *
 * @module
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import type { PolygonS3Config } from "./config.ts";

/** One file to replay. */
export interface FlatFile {
  /** Path relative to the folder (with `/`), or the S3 key. Ordered and checkpointed by this. */
  key: string;
  /** Size in bytes as stored (compressed), when known. */
  size: number | undefined;
}

/** A place holding flat files. */
export interface FileSource {
  /** For logs: the folder or `s3://bucket/prefix`. */
  readonly describe: string;
  /** Every `.csv.gz` and `.csv` file, sorted by key. */
  list(): Promise<FlatFile[]>;
  /** The raw (still compressed) bytes of a file. */
  open(key: string): Promise<ReadableStream<Uint8Array>>;
  /** Releases connections; the source is unusable afterwards. */
  close(): void;
}

/** A read of the source itself failed (disk, network): worth retrying, unlike a corrupt file. */
export class SourceReadError extends Error {
  override readonly name = "SourceReadError";
}

const FLAT_FILE = /\.csv(\.gz)?$/;

/** Compares keys by UTF-16 code units, the same order on every machine (no locale). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Flat files under the local folder `root`. */
export function localSource(root: string): FileSource {
  return {
    describe: root,
    async list() {
      const out: FlatFile[] = [];
      const walk = async (dir: string, prefix: string) => {
        for await (const entry of Deno.readDir(dir)) {
          const key = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
          if (entry.isDirectory) await walk(`${dir}/${entry.name}`, key);
          else if (entry.isFile && FLAT_FILE.test(entry.name)) {
            out.push({ key, size: (await Deno.stat(`${dir}/${entry.name}`)).size });
          }
        }
      };
      try {
        await walk(root, "");
      } catch (cause) {
        throw new SourceReadError(`cannot list ${root}: ${errorText(cause)}`, { cause });
      }
      return out.sort((a, b) => compareKeys(a.key, b.key));
    },
    async open(key) {
      try {
        return (await Deno.open(`${root}/${key}`)).readable;
      } catch (cause) {
        throw new SourceReadError(`cannot open ${root}/${key}: ${errorText(cause)}`, { cause });
      }
    },
    close() {},
  };
}

/** Flat files under `config.prefix` in an S3 bucket. */
export function s3Source(config: PolygonS3Config): FileSource {
  const accessKeyId = Deno.env.get("TRIBUTARY_POLYGON_S3_ACCESS_KEY_ID") || config.access_key_id;
  const secretAccessKey = Deno.env.get("TRIBUTARY_POLYGON_S3_SECRET_ACCESS_KEY") ||
    config.secret_access_key;
  const client = new S3Client({
    region: config.region,
    ...(config.endpoint === "" ? {} : { endpoint: config.endpoint }),
    forcePathStyle: config.force_path_style,
    ...(accessKeyId !== "" ? { credentials: { accessKeyId, secretAccessKey } } : {}),
  });
  return {
    describe: `s3://${config.bucket}/${config.prefix}`,
    async list() {
      const out: FlatFile[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await client.send(
            new ListObjectsV2Command({
              Bucket: config.bucket,
              Prefix: config.prefix,
              ContinuationToken: token,
            }),
          );
          for (const object of page.Contents ?? []) {
            if (object.Key !== undefined && FLAT_FILE.test(object.Key)) {
              out.push({ key: object.Key, size: object.Size });
            }
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
      } catch (cause) {
        throw new SourceReadError(
          `cannot list s3://${config.bucket}/${config.prefix}: ${errorText(cause)}`,
          { cause },
        );
      }
      return out.sort((a, b) => compareKeys(a.key, b.key));
    },
    async open(key) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }));
        if (object.Body === undefined) throw new Error("empty body");
        return object.Body.transformToWebStream() as ReadableStream<Uint8Array>;
      } catch (cause) {
        throw new SourceReadError(
          `cannot get s3://${config.bucket}/${key}: ${errorText(cause)}`,
          { cause },
        );
      }
    },
    close() {
      client.destroy();
    },
  };
}

/**
 * Passes `stream` through, counting its bytes with `onBytes` and turning a
 * failed read — or one that brings nothing for `readTimeoutMs` (0 = wait
 * forever) — into a {@linkcode SourceReadError}, so the reader of the
 * decompressed text can tell a broken connection from a corrupt file.
 */
export function meterStream(
  stream: ReadableStream<Uint8Array>,
  onBytes: (n: number) => void,
  readTimeoutMs = 0,
): ReadableStream<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const read = reader.read();
        result = readTimeoutMs <= 0 ? await read : await Promise.race([
          read,
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no data for ${readTimeoutMs} ms`)),
              readTimeoutMs,
            );
          }),
        ]);
      } catch (cause) {
        // A stalled connection is dropped, not waited on: the caller retries.
        reader.cancel(cause).catch(() => {});
        controller.error(new SourceReadError(`read failed: ${errorText(cause)}`, { cause }));
        return;
      } finally {
        clearTimeout(timer);
      }
      if (result.done) {
        controller.close();
        return;
      }
      onBytes(result.value.length);
      controller.enqueue(result.value as Uint8Array<ArrayBuffer>);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
