/**
 * The cold tier on S3 (or an S3-compatible server such as S3Proxy or MinIO)
 * through `@aws-sdk/client-s3`. Large objects go up in parts; every request
 * is retried by the SDK with backoff (`max_attempts`), and a failed
 * multipart upload is aborted so no parts linger.
 *
 * @module
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type StorageClass,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { md5File, multipartEtag, readFull } from "./etag.ts";
import type { ObjectInfo, ObjectStore } from "./object_store.ts";
import type { S3TierConfig } from "./config.ts";

/**
 * S3 as an object store.
 *
 * @example
 * ```ts
 * const store = new S3ObjectStore({ ...defaultTierConfig().s3, endpoint: "http://127.0.0.1:9000", bucket: "cold" });
 * ```
 */
export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  readonly #client: S3Client;
  readonly #config: S3TierConfig;
  #closed = false;

  constructor(config: S3TierConfig) {
    this.#config = config;
    this.description = `s3://${config.bucket}/${config.prefix}`;
    this.#client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.force_path_style,
      maxAttempts: config.max_attempts,
      // Without a timeout a request into a dead link (no RST) would wait forever, holding the
      // tier transaction open and hub stop waiting; a timed-out request is retried.
      requestHandler: {
        connectionTimeout: Math.min(10_000, config.request_timeout_ms),
        requestTimeout: config.request_timeout_ms,
        throwOnRequestTimeout: true,
      },
      // Checksums only where S3 requires them: S3-compatible servers differ in
      // their support of the newer flexible (CRC) checksums. Integrity is
      // checked with Content-MD5 on upload and the ETag afterwards.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      ...(config.access_key_id
        ? {
          credentials: {
            accessKeyId: config.access_key_id,
            secretAccessKey: config.secret_access_key,
          },
        }
        : {}),
    });
  }

  put(key: string, file: string, metadata: Record<string, string>): Promise<void> {
    return this.#upload(key, file, metadata, undefined);
  }

  async #upload(
    key: string,
    file: string,
    metadata: Record<string, string>,
    storageClass: StorageClass | undefined,
  ): Promise<void> {
    const size = (await Deno.stat(file)).size;
    if (size <= this.#config.multipart_threshold_bytes) {
      const body = await Deno.readFile(file);
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#config.bucket,
          Key: this.#key(key),
          Body: body,
          ContentLength: body.length,
          ContentMD5: createHash("md5").update(body).digest("base64"),
          ContentType: "application/vnd.apache.parquet",
          Metadata: metadata,
          StorageClass: storageClass,
        }),
      );
      return;
    }
    await this.#putMultipart(key, file, metadata, storageClass);
  }

  expectedEtag(file: string): Promise<string> {
    return Deno.stat(file).then((stat) =>
      stat.size <= this.#config.multipart_threshold_bytes
        ? md5File(file)
        : multipartEtag(file, this.#config.part_size_bytes)
    );
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const { metadata: _metadata, ...info } = await this.#headOrThrow(key);
      return info;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async download(key: string, dest: string): Promise<void> {
    const out = await this.#client.send(
      new GetObjectCommand({ Bucket: this.#config.bucket, Key: this.#key(key) }),
    );
    if (!out.Body) throw new Error(`GET ${key}: empty body`);
    await Deno.mkdir(dirname(dest), { recursive: true });
    const stream = out.Body.transformToWebStream() as ReadableStream<Uint8Array>;
    const file = await Deno.open(dest, { write: true, create: true, truncate: true });
    // pipeTo closes the file when the stream ends (and aborts it on error); with
    // preventClose and a separate close, the last chunk was lost under Deno.
    await stream.pipeTo(file.writable);
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(
      new DeleteObjectCommand({ Bucket: this.#config.bucket, Key: this.#key(key) }),
    );
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const out = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#config.bucket,
          Prefix: this.#key(prefix),
          ContinuationToken: token,
        }),
      );
      for (const item of out.Contents ?? []) {
        if (!item.Key) continue;
        found.push({
          key: item.Key.slice(this.#config.prefix.length),
          size: item.Size ?? 0,
          etag: unquote(item.ETag ?? ""),
          storageClass: item.StorageClass ?? "STANDARD",
          lastModified: item.LastModified ?? new Date(0),
        });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  /**
   * Moves `key` to `storageClass` and checks that the server says so.
   *
   * S3 changes the class with a copy of the object onto itself. Some
   * S3-compatible servers (S3Proxy 4.1 among them) ignore the class on a copy
   * but keep it on an upload: when HEAD still shows the old class, the object
   * is downloaded, checked against its ETag and uploaded again with the class.
   *
   * @throws {Error} when the server still reports another class (the catalog
   * then keeps the object as it was, and the next pass tries again).
   */
  async archive(key: string, storageClass: string): Promise<void> {
    const before = await this.#headOrThrow(key);
    if (before.storageClass === storageClass) return;
    await this.#copyWithClass(key, storageClass, before);
    const copied = await this.#headOrThrow(key);
    if (copied.storageClass === storageClass) return;
    await this.#rewriteWithClass(key, storageClass, copied);
    const rewritten = await this.#headOrThrow(key);
    if (rewritten.storageClass !== storageClass || rewritten.etag !== copied.etag) {
      throw new Error(
        `archive ${key}: the server reports class ${rewritten.storageClass} and ETag ` +
          `${rewritten.etag}; expected ${storageClass} and ${copied.etag}`,
      );
    }
  }

  async #headOrThrow(key: string): Promise<ObjectInfo & { metadata: Record<string, string> }> {
    const out = await this.#client.send(
      new HeadObjectCommand({ Bucket: this.#config.bucket, Key: this.#key(key) }),
    );
    return {
      key,
      size: out.ContentLength ?? -1,
      etag: unquote(out.ETag ?? ""),
      storageClass: out.StorageClass ?? "STANDARD",
      lastModified: out.LastModified ?? new Date(0),
      metadata: out.Metadata ?? {},
    };
  }

  async #copyWithClass(
    key: string,
    storageClass: string,
    current: { metadata: Record<string, string> },
  ): Promise<void> {
    const full = this.#key(key);
    // A copy onto itself must change something S3 counts as metadata: some
    // S3-compatible servers do not count the storage class alone, so the
    // metadata is replaced by itself as well.
    await this.#client.send(
      new CopyObjectCommand({
        Bucket: this.#config.bucket,
        Key: full,
        CopySource: `${this.#config.bucket}/${encodeURIComponent(full).replaceAll("%2F", "/")}`,
        StorageClass: storageClass as StorageClass,
        MetadataDirective: "REPLACE",
        Metadata: current.metadata,
        ContentType: "application/vnd.apache.parquet",
      }),
    );
  }

  /** Downloads `key`, checks it against its ETag, uploads it again in `storageClass`. */
  async #rewriteWithClass(
    key: string,
    storageClass: string,
    current: ObjectInfo & { metadata: Record<string, string> },
  ): Promise<void> {
    const dir = await Deno.makeTempDir({ prefix: "tributary-archive-" });
    try {
      const file = `${dir}/object.parquet`;
      await this.download(key, file);
      const etag = await this.expectedEtag(file);
      if (etag !== current.etag) {
        throw new Error(`archive ${key}: downloaded ETag ${etag}, the server says ${current.etag}`);
      }
      await this.#upload(key, file, current.metadata, storageClass as StorageClass);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.destroy();
  }

  async #putMultipart(
    key: string,
    file: string,
    metadata: Record<string, string>,
    storageClass: StorageClass | undefined,
  ): Promise<void> {
    const bucket = this.#config.bucket;
    const full = this.#key(key);
    const created = await this.#client.send(
      new CreateMultipartUploadCommand({
        Bucket: bucket,
        Key: full,
        ContentType: "application/vnd.apache.parquet",
        Metadata: metadata,
        StorageClass: storageClass,
      }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error(`multipart upload of ${key}: no upload id`);
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      using handle = await Deno.open(file, { read: true });
      const buffer = new Uint8Array(this.#config.part_size_bytes);
      for (let partNumber = 1;; partNumber++) {
        const n = await readFull(handle, buffer);
        if (n === 0) break;
        const body = buffer.slice(0, n);
        const out = await this.#client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: full,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: n,
            ContentMD5: createHash("md5").update(body).digest("base64"),
          }),
        );
        parts.push({ ETag: out.ETag ?? "", PartNumber: partNumber });
        if (n < buffer.length) break;
      }
      await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: full,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: full, UploadId: uploadId }),
      ).catch(() => {});
      throw error;
    }
  }

  #key(key: string): string {
    return this.#config.prefix + key;
  }
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, "");
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404;
}
