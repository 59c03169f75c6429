/**
 * Internal test fixture: a hot store in a temp folder, opened like the hub
 * opens it (the tier's work and cache folders allowed), plus a tier service
 * on a local folder with a fixed clock.
 *
 * @module
 */
import { join } from "node:path";
import { createLogger } from "@tributary/shared/log";
import { HotStore } from "../store/hot_store.ts";
import { defaultTierConfig, type TierConfig } from "./config.ts";
import { tierDirectories, type TierFaults, TierService } from "./mod.ts";
import type { ObjectStore } from "./object_store.ts";

/** 2026-11-18T00:00:00Z in ns. */
export const T0 = 1_794_960_000_000_000_000n;
/** Nanoseconds per second. */
export const SECOND = 1_000_000_000n;

/** A hot store and tier service in a temp folder; `close()` removes it all. */
export interface TierTestEnv {
  dir: string;
  store: HotStore;
  tier: TierService;
  config: TierConfig;
  /** The fixed clock; move it with `setNow`. */
  setNow(ns: bigint): void;
  /** Runs `sql` through the hub's query path (hot + cold) and returns the rows. */
  query(sql: string): Promise<unknown[][]>;
  close(): Promise<void>;
}

/** Options of {@linkcode openTierTestEnv}. */
export interface TierTestEnvOptions {
  configure?(config: TierConfig): void;
  store?: ObjectStore;
  faults?: TierFaults;
  now?: bigint;
  /** Reuse this folder (e.g. to reopen after a crash). */
  dir?: string;
  /** Longest wait for a query's cold objects. @default 30000 */
  queryTimeoutMs?: number;
}

/** Opens the fixture; see {@linkcode TierTestEnv}. */
export async function openTierTestEnv(options: TierTestEnvOptions = {}): Promise<TierTestEnv> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "tributary-tier-" });
  const config = defaultTierConfig();
  config.enabled = false; // passes run when the test says so
  options.configure?.(config);
  const dirs = tierDirectories(config, dir);
  const store = await HotStore.open({
    path: join(dir, "hub.duckdb"),
    allowedDirectories: [dirs.work, dirs.cache],
  });
  let now = options.now ?? T0;
  const tier = new TierService({
    config,
    dataDir: dir,
    database: store,
    log: createLogger({ level: "warn" }),
    now: () => now,
    store: options.store,
    faults: options.faults,
    queryTimeoutMs: options.queryTimeoutMs,
  });
  await tier.start();
  return {
    dir,
    store,
    tier,
    config,
    setNow: (ns) => {
      now = ns;
    },
    async query(sql) {
      const connection = await store.connect();
      try {
        using _prepared = await tier.prepareQueryConnection(connection, sql);
        return (await connection.runAndReadAll(sql)).getRows();
      } finally {
        connection.closeSync();
      }
    },
    async close() {
      await tier.stop();
      await store.close();
      if (!options.dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
