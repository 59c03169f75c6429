/**
 * A bounded local cache of cold objects for queries: files under one folder,
 * least recently used evicted once the total passes `maxBytes`. Objects in
 * use by a running query are pinned and never evicted; a download is shared
 * by concurrent queries wanting the same object, and checked against the
 * catalog's size and SHA-256 before use.
 *
 * @module
 */
import { join } from "node:path";
import { sha256File } from "./etag.ts";
import type { ObjectStore } from "./object_store.ts";
import type { TierMetrics } from "./tier_metrics.ts";

/** An object a query wants: its key, size and SHA-256 from the catalog. */
export interface CachedObjectRef {
  key: string;
  sizeBytes: number;
  sha256: string;
}

/** Names of the cache's files: `<sha256 prefix>-<key>.parquet`, or a download in progress. */
const CACHE_FILE = /^[0-9a-f]{16}-[A-Za-z0-9=._-]+\.parquet(\.part-[0-9a-f]{8})?$/;

interface Entry {
  file: string;
  size: number;
  pins: number;
  lastUsed: number;
}

/** Options of {@linkcode QueryCache}. */
export interface QueryCacheOptions {
  dir: string;
  maxBytes: number;
  store: ObjectStore;
  metrics?: TierMetrics;
}

/** Pins on cached files, released when the query that took them ends. */
export interface CachePins {
  /** Local file of each requested object, in request order. */
  readonly files: string[];
  release(): void;
}

/**
 * The cache.
 *
 * @example
 * ```ts
 * const cache = new QueryCache({ dir, maxBytes: 1 << 30, store });
 * await cache.init();
 * const pins = await cache.acquire(objects);
 * try { ... read pins.files ... } finally { pins.release(); }
 * ```
 */
export class QueryCache {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #store: ObjectStore;
  readonly #metrics: TierMetrics | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entry>>();
  #bytes = 0;
  #clock = 0;

  constructor(options: QueryCacheOptions) {
    this.#dir = options.dir;
    this.#maxBytes = options.maxBytes;
    this.#store = options.store;
    this.#metrics = options.metrics;
  }

  /** The cache folder. */
  get dir(): string {
    return this.#dir;
  }

  /** Bytes cached now. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Creates the folder and removes the cache's own files from an earlier run
   * (their accounting is not kept across restarts). Only names the cache
   * writes are removed, so a misconfigured `cache_dir` loses nothing else.
   */
  async init(): Promise<void> {
    await Deno.mkdir(this.#dir, { recursive: true });
    for await (const entry of Deno.readDir(this.#dir)) {
      if (entry.isFile && CACHE_FILE.test(entry.name)) {
        await Deno.remove(join(this.#dir, entry.name)).catch(() => {});
      }
    }
  }

  /**
   * Makes every object local and pins it.
   *
   * @throws when an object cannot be fetched or does not match the catalog (nothing stays pinned).
   */
  async acquire(objects: readonly CachedObjectRef[]): Promise<CachePins> {
    const taken: Entry[] = [];
    const release = () => {
      for (const entry of taken.splice(0)) entry.pins--;
      this.#evict();
    };
    try {
      for (const object of objects) {
        const entry = await this.#get(object);
        entry.pins++;
        entry.lastUsed = ++this.#clock;
        taken.push(entry);
      }
    } catch (error) {
      release();
      throw error;
    }
    this.#evict();
    return { files: taken.map((e) => e.file), release };
  }

  async #get(object: CachedObjectRef): Promise<Entry> {
    const cached = this.#entries.get(object.key);
    if (cached) {
      this.#metrics?.cache.inc({ result: "hit" });
      return cached;
    }
    this.#metrics?.cache.inc({ result: "miss" });
    let loading = this.#loading.get(object.key);
    if (!loading) {
      loading = this.#download(object).finally(() => this.#loading.delete(object.key));
      this.#loading.set(object.key, loading);
    }
    return await loading;
  }

  async #download(object: CachedObjectRef): Promise<Entry> {
    const name = `${object.sha256.slice(0, 16)}-${object.key.replace(/[^A-Za-z0-9=._-]/g, "_")}`;
    const file = join(this.#dir, name);
    const temp = `${file}.part-${crypto.randomUUID().slice(0, 8)}`;
    try {
      await this.#store.download(object.key, temp);
      const size = (await Deno.stat(temp)).size;
      if (size !== object.sizeBytes || await sha256File(temp) !== object.sha256) {
        throw new Error(`cold object ${object.key} does not match its catalog size or SHA-256`);
      }
      await Deno.rename(temp, file);
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
    const entry: Entry = { file, size: object.sizeBytes, pins: 0, lastUsed: ++this.#clock };
    this.#entries.set(object.key, entry);
    this.#bytes += entry.size;
    return entry;
  }

  /** Removes least recently used unpinned files until the total fits. */
  #evict(): void {
    if (this.#bytes <= this.#maxBytes) return;
    const candidates = [...this.#entries.entries()].filter(([, e]) => e.pins === 0)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [key, entry] of candidates) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(key);
      this.#bytes -= entry.size;
      try {
        Deno.removeSync(entry.file);
      } catch {
        // Already gone; the accounting above is what matters.
      }
    }
  }
}
