/**
 * Where cold Parquet objects live: a tiny interface with two implementations,
 * a local folder ({@linkcode LocalObjectStore}, the embedded default) and S3
 * ({@linkcode S3ObjectStore}). Keys are relative, like
 * `kind=readings/date=2026-11-20/part-….parquet`; a store adds its own prefix.
 *
 * @module
 */

/** What a store says about one object. */
export interface ObjectInfo {
  /** Key relative to the store's root or prefix. */
  key: string;
  size: number;
  /**
   * The store's content fingerprint: for S3 the ETag (MD5 hex of the object,
   * or of its parts' MD5s with `-N` for multipart uploads); for a folder the
   * MD5 hex of the file, read back from disk.
   */
  etag: string;
  /** `STANDARD`, or the class an object was archived to. */
  storageClass: string;
  lastModified: Date;
}

/** A place to put, verify, fetch and delete cold objects. */
export interface ObjectStore {
  /** For logs and docs, e.g. `local:/data/cold` or `s3://bucket/prefix/`. */
  readonly description: string;
  /**
   * Uploads the local file `file` as `key` (replacing any object there).
   * Resolves when the store has acknowledged the whole object.
   */
  put(key: string, file: string, metadata: Record<string, string>): Promise<void>;
  /** The fingerprint {@linkcode ObjectInfo.etag} the store will report for the content of `file`. */
  expectedEtag(file: string): Promise<string>;
  /** Size, fingerprint and class of `key`, or undefined when there is no such object. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Writes object `key` to the local path `dest` (replacing it). */
  download(key: string, dest: string): Promise<void>;
  /** Deletes `key`; no error when it is already gone. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Moves `key` to `storageClass` (an archive class that queries no longer read). */
  archive(key: string, storageClass: string): Promise<void>;
  /** Releases connections. Idempotent. */
  close(): void;
}
