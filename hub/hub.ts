/**
 * The hub process, assembled: config → hot store → embedded broker (when no
 * external one is configured) → MQTT consumer → HTTP API.
 *
 * @module
 */
import { join } from "node:path";
import { createLogger, type Logger } from "@tributary/shared/log";
import type { HubConfig } from "./config.ts";
import { HotStore } from "./store/hot_store.ts";
import { createHubMetrics } from "./metrics.ts";
import { EmbeddedBroker } from "./broker/embedded_broker.ts";
import { BatchHandler } from "./consumers/batch_handler.ts";
import type { Consumer } from "./consumers/consumer.ts";
import { mqttConsumerFactory } from "./consumers/mqtt/mod.ts";
import { kafkaConsumerFactory } from "./consumers/kafka/mod.ts";
import { createHubApp } from "./http/app.ts";
import { duckdbTierDirectories, TierService } from "./tier/mod.ts";
import { RollupRetention } from "./rollups/retention.ts";
import { type HttpServer, readTlsFiles, serveHttp } from "./http/server.ts";
import { AUTH_DB_FILE, AuthStore } from "./auth/auth_store.ts";

/** Options of {@linkcode Hub}. */
export interface HubOptions {
  /** @default a JSON logger on stderr at `config.hub.log_level` */
  log?: Logger;
}

/** Where a started hub can be reached. */
export interface HubEndpoints {
  /** `http://host:port` of the HTTP API. */
  http: string;
  /** The MQTT broker the hub consumes from (embedded or external), without credentials. */
  mqtt: string;
}

/** The DuckDB file name inside `hub.data_dir`. */
export const HUB_DB_FILE = "hub.duckdb";

/**
 * A hub: `start()` brings every part up in order, `stop()` takes them down in
 * reverse (HTTP, consumer, broker, store).
 *
 * @example
 * ```ts
 * const hub = new Hub(await loadHubConfig("hub.toml"));
 * const { http, mqtt } = await hub.start();
 * // ...
 * await hub.stop();
 * ```
 */
export class Hub {
  readonly #config: HubConfig;
  readonly #log: Logger;
  #store: HotStore | undefined;
  #broker: EmbeddedBroker | undefined;
  #consumer: Consumer | undefined;
  /** The Kafka consumer, when `[kafka] brokers` is set; runs beside the MQTT one. */
  #kafkaConsumer: Consumer | undefined;
  #http: HttpServer | undefined;
  /** The Parquet tier: moves old rows to cold storage, spans queries over both. */
  #tier: TierService | undefined;
  #rollupRetention: RollupRetention | undefined;
  #auth: AuthStore | undefined;
  #started: Promise<HubEndpoints> | undefined;
  /** The bare start sequence, so that stop() can wait for it to settle first. */
  #starting: Promise<unknown> = Promise.resolve();
  #stopping: Promise<void> | undefined;

  constructor(config: HubConfig, options: HubOptions = {}) {
    this.#config = config;
    this.#log = options.log ??
      createLogger({ level: config.hub.log_level, fields: { component: "hub" } });
  }

  /**
   * Starts every part. On failure, stops what had started and rethrows.
   *
   * @throws {ConfigError} for a config problem found only at start (e.g. an unreadable TLS file).
   */
  start(): Promise<HubEndpoints> {
    if (!this.#started) {
      const starting = this.#start();
      this.#starting = starting.catch(() => {});
      this.#started = starting.catch(async (error) => {
        await this.stop();
        throw error;
      });
    }
    return this.#started;
  }

  /** Stops every part, draining. Idempotent; safe before start. */
  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  async #start(): Promise<HubEndpoints> {
    const config = this.#config;
    const log = this.#log;
    await Deno.mkdir(config.hub.data_dir, { recursive: true });
    const dbPath = join(config.hub.data_dir, HUB_DB_FILE);
    this.#store = await HotStore.open({
      path: dbPath,
      maxQuarantineRawBytes: config.limits.max_quarantine_raw_bytes,
      rollups: config.rollups,
      // The only folders DuckDB may touch with external access off: Parquet being written, cold cache.
      allowedDirectories: duckdbTierDirectories(config.tier, config.hub.data_dir),
    });
    log.info("hot store open", { path: dbPath });
    const store = this.#store;
    const staleAfterS = config.hub.stale_after_s;
    const metrics = createHubMetrics({
      staleAgents: () => store.staleAgentCount({ staleAfterS }),
      agents: () => store.agents({ staleAfterS }),
    });
    this.#tier = new TierService({
      config: config.tier,
      dataDir: config.hub.data_dir,
      database: store,
      log: log.child({ part: "tier" }),
      registry: metrics.registry,
      queryTimeoutMs: config.http.query_timeout_ms,
    });
    await this.#tier.start();
    const tier = this.#tier;
    // Expires rollup state older than [rollups.retention], on the store's single writer.
    this.#rollupRetention = new RollupRetention({
      rollups: store.rollups,
      onWriter: (work) => store.withWriter(work),
      log: log.child({ part: "rollups" }),
      registry: metrics.registry,
    });
    if (config.rollups.enabled) this.#rollupRetention.start();

    let mqttUrl = config.mqtt.url;
    if (mqttUrl === "") {
      this.#broker = new EmbeddedBroker({
        listen: config.broker.listen,
        log: log.child({ part: "broker" }),
      });
      await this.#broker.start();
      mqttUrl = this.#broker.url!;
    }

    const handler = new BatchHandler({
      store: this.#store,
      metrics,
      log: log.child({ part: "ingest" }),
      limits: {
        maxMessageBytes: config.limits.max_message_bytes,
        maxRows: config.limits.max_rows_per_batch,
      },
    });
    this.#consumer = mqttConsumerFactory.create(
      { ...config.mqtt, url: mqttUrl },
      { handler, metrics, log: log.child({ part: "mqtt" }) },
    );
    await this.#consumer.start();
    if (config.kafka.brokers.length > 0) {
      this.#kafkaConsumer = kafkaConsumerFactory.create(config.kafka, {
        handler,
        metrics,
        log: log.child({ part: "kafka" }),
      });
      await this.#kafkaConsumer.start();
    }

    const tls = config.http.tls_cert
      ? await readTlsFiles(config.http.tls_cert, config.http.tls_key)
      : undefined;
    this.#auth = await AuthStore.open({
      path: join(config.hub.data_dir, AUTH_DB_FILE),
      auditRetentionNs: BigInt(config.auth.audit_retention_days) * 86_400_000_000_000n,
    });
    if (config.auth.mode === "open") {
      log.warn("the HTTP API is open on a loopback address: calls without a token act as admin", {
        listen: `${config.http.listen.hostname}:${config.http.listen.port}`,
        hint: '[auth] mode = "token" requires tokens (hub token create)',
      });
    } else if (this.#auth.validTokenCount === 0) {
      log.warn("auth.mode is token but no token exists: create one with `hub token create`");
    }
    const app = createHubApp({
      // Queries see the kind tables over hot and cold (hub/tier/query_tiers.ts).
      store: {
        agents: (options) => store.agents(options),
        connect: () => store.connect(),
        prepareQueryConnection: (connection, sql) => tier.prepareQueryConnection(connection, sql),
      },
      registry: metrics.registry,
      log: log.child({ part: "http" }),
      query: { maxRows: config.http.query_max_rows, timeoutMs: config.http.query_timeout_ms },
      concurrency: {
        maxRunning: config.http.max_concurrent_queries,
        maxQueued: config.http.max_queued_queries,
      },
      staleAfterS,
      auth: {
        mode: config.auth.mode,
        store: this.#auth,
        publicMetrics: config.auth.public_metrics,
      },
    });
    this.#http = serveHttp(config.http.listen, app.fetch, { tls });
    const endpoints = { http: this.#http.url, mqtt: withoutCredentials(mqttUrl) };
    log.info("hub started", { ...endpoints });
    return endpoints;
  }

  async #stop(): Promise<void> {
    // A stop during start waits for the parts being started, so none is left running.
    await this.#starting;
    const steps: [string, (() => Promise<void>) | undefined][] = [
      ["http", this.#http && (() => this.#http!.stop())],
      ["auth", this.#auth && (() => this.#auth!.close())],
      ["kafka consumer", this.#kafkaConsumer && (() => this.#kafkaConsumer!.stop())],
      ["consumer", this.#consumer && (() => this.#consumer!.stop())],
      ["broker", this.#broker && (() => this.#broker!.stop())],
      ["tier", this.#tier && (() => this.#tier!.stop())],
      ["rollup retention", this.#rollupRetention && (() => this.#rollupRetention!.stop())],
      ["store", this.#store && (() => this.#store!.close())],
    ];
    for (const [part, stop] of steps) {
      if (!stop) continue;
      try {
        await stop();
      } catch (error) {
        // Keep going: the store must still be closed when the consumer fails to stop.
        this.#log.error("stop failed", { part, error });
      }
    }
    this.#log.info("hub stopped");
  }
}

/** `url` with any user name and password removed, for logs and the ready line. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === "" && parsed.password === "") return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url;
  }
}
