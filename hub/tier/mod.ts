/**
 * The Parquet tier as one hub part: it runs the {@linkcode Tierer} every
 * `interval_s` and prepares query connections so that the kind tables span
 * hot and cold ({@linkcode TierService.prepareQueryConnection}).
 *
 * The hub opens its DuckDB with {@linkcode tierDirectories}' `work` and
 * `cache` folders in `allowedDirectories`: with external access off, those
 * are the only folders DuckDB may write Parquet to and read it from.
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Registry } from "prom-client";
import type { Logger } from "@tributary/shared/log";
import { nowNs } from "@tributary/shared/records";
import type { TierConfig } from "./config.ts";
import { ensureCatalog } from "./catalog.ts";
import { LocalObjectStore } from "./local_object_store.ts";
import type { ObjectStore } from "./object_store.ts";
import { prepareColdQuery, type PreparedQuery } from "./query_tiers.ts";
import { QueryCache } from "./query_cache.ts";
import { S3ObjectStore } from "./s3_object_store.ts";
import { type PassReport, Tierer, type TierFaults } from "./tierer.ts";
import { createTierMetrics, type TierMetrics } from "./tier_metrics.ts";

export type { TierConfig } from "./config.ts";
export { defaultTierConfig, validateTierConfig } from "./config.ts";
export type { PassReport, TierFaults } from "./tierer.ts";
export { ColdTierUnavailable, type PreparedQuery } from "./query_tiers.ts";

/** The tier's local folders. */
export interface TierDirectories {
  /** Parquet being written or compacted. */
  work: string;
  /** Cold objects cached for queries. */
  cache: string;
  /** The cold tier itself when `store = "local"`. */
  local: string;
}

/** The folders of `config` under `dataDir` (absolute, with a trailing `/` for DuckDB). */
export function tierDirectories(config: TierConfig, dataDir: string): TierDirectories {
  const dir = (value: string, fallback: string) =>
    resolve(value === "" ? join(dataDir, fallback) : value) + "/";
  return {
    work: dir(config.work_dir, "tier-work"),
    cache: dir(config.cache_dir, "tier-cache"),
    local: dir(config.local_dir, "cold"),
  };
}

/**
 * The folders the hub's DuckDB must be allowed to use with external access
 * off (`HotStore.open`'s `allowedDirectories`): the work and cache folders.
 * The local cold folder is not among them: queries read cached copies.
 */
export function duckdbTierDirectories(config: TierConfig, dataDir: string): string[] {
  const dirs = tierDirectories(config, dataDir);
  return [dirs.work, dirs.cache];
}

/** The object store `config` names. */
export function createObjectStore(config: TierConfig, dirs: TierDirectories): ObjectStore {
  return config.store === "s3" ? new S3ObjectStore(config.s3) : new LocalObjectStore(dirs.local);
}

/** Options of {@linkcode TierService}. */
export interface TierServiceOptions {
  config: TierConfig;
  /** `hub.data_dir`, under which the default folders live. */
  dataDir: string;
  /** Opens connections on the hub's DuckDB instance (the hot store). */
  database: { connect(): Promise<DuckDBConnection> };
  log: Logger;
  /** The hub's metrics registry. */
  registry?: Registry;
  /** @default nowNs */
  now?: () => bigint;
  /** Use this store instead of the one the config names (tests). */
  store?: ObjectStore;
  /** Longest wait for a query's cold objects (the API's query time limit). @default 30000 */
  queryTimeoutMs?: number;
  faults?: TierFaults;
}

/**
 * The tier part of a hub.
 *
 * @example
 * ```ts
 * const tier = new TierService({ config: config.tier, dataDir, database: hotStore, log });
 * await tier.start();
 * using prepared = await tier.prepareQueryConnection(connection, sql);
 * ```
 */
export class TierService {
  readonly #options: TierServiceOptions;
  readonly #dirs: TierDirectories;
  readonly #metrics: TierMetrics;
  #store: ObjectStore | undefined;
  #cache: QueryCache | undefined;
  #connection: DuckDBConnection | undefined;
  #tierer: Tierer | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pass: Promise<unknown> = Promise.resolve();
  #started: Promise<void> | undefined;
  #stopped = false;

  constructor(options: TierServiceOptions) {
    this.#options = options;
    this.#dirs = tierDirectories(options.config, options.dataDir);
    this.#metrics = createTierMetrics(options.registry);
  }

  /** The folders in use. */
  get directories(): TierDirectories {
    return this.#dirs;
  }

  /** Where cold objects go, e.g. `local:/data/hub/cold` or `s3://bucket/prefix/`. */
  get storeDescription(): string {
    return this.#store?.description ?? "";
  }

  /** Creates the catalog, the folders and the store; schedules passes when enabled. Idempotent. */
  start(): Promise<void> {
    return (this.#started ??= this.#start());
  }

  async #start(): Promise<void> {
    const { config, log } = this.#options;
    await Deno.mkdir(this.#dirs.work, { recursive: true });
    this.#store = this.#options.store ?? createObjectStore(config, this.#dirs);
    this.#cache = new QueryCache({
      dir: this.#dirs.cache,
      maxBytes: config.cache_max_bytes,
      store: this.#store,
      metrics: this.#metrics,
    });
    await this.#cache.init();
    this.#connection = await this.#options.database.connect();
    await ensureCatalog(this.#connection);
    this.#tierer = new Tierer({
      connection: this.#connection,
      store: this.#store,
      config,
      workDir: this.#dirs.work,
      log,
      metrics: this.#metrics,
      now: this.#options.now ?? nowNs,
      faults: this.#options.faults,
    });
    await this.#tierer.init();
    if (config.enabled && !this.#stopped) this.#schedule();
    log.info("tier ready", { store: this.#store.description, enabled: config.enabled });
  }

  /** Runs one pass now (after any pass in progress). */
  runPass(): Promise<PassReport> {
    const tierer = this.#tierer;
    if (!tierer) return Promise.reject(new Error("the tier service is not started"));
    const run = this.#pass.then(() => tierer.runPass());
    this.#pass = run.catch(() => {});
    return run;
  }

  /**
   * Prepares a query connection so that the kind tables span hot and cold;
   * release the result (or close the connection) when the query has ended.
   */
  async prepareQueryConnection(connection: DuckDBConnection, sql: unknown): Promise<PreparedQuery> {
    await this.start();
    return await prepareColdQuery(connection, sql, {
      cache: this.#cache!,
      timeoutMs: this.#options.queryTimeoutMs ?? 30_000,
    });
  }

  /** Stops scheduling, waits for the pass in progress, closes the store. Idempotent; safe before start. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#started?.catch(() => {});
    await this.#pass;
    this.#connection?.closeSync();
    this.#store?.close();
  }

  #schedule(): void {
    this.#timer = setTimeout(async () => {
      this.#timer = undefined;
      await this.runPass().catch((error) => this.#options.log.error("tier pass failed", { error }));
      if (!this.#stopped) this.#schedule();
    }, this.#options.config.interval_s * 1000);
  }
}
