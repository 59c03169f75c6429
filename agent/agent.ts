/**
 * Wires an agent together: buffer, transport, shipper, metrics, HTTP API and
 * inputs; starts them in dependency order and stops them in reverse.
 *
 * @module
 */
import { join } from "node:path";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { createLogger, type Logger } from "@tributary/shared/log";
import { type DuckdbAllocator, openDuckdbAllocator } from "@tributary/shared/sql/duckdb_allocator";
import { mallocInfo } from "@tributary/shared/glibc_malloc";
import type { HeartbeatStream } from "@tributary/shared/heartbeat";
import { type Kind, KINDS, type RowOf } from "@tributary/shared/records";
import { AgentBuffer } from "./buffer/mod.ts";
import type { AgentConfig } from "./config.ts";
import { HeartbeatSender } from "./heartbeat.ts";
import { createHttpApp, type HttpServer, startHttpServer } from "./http/server.ts";
import type { Checkpoint, Input, InputContext } from "./inputs/input.ts";
import { createAgentMetrics, withShipperDrops } from "./metrics.ts";
import { type AckObserver, timeAcks } from "./ack_timing.ts";
import { Shipper } from "./shipper.ts";
import type { Transport } from "./transports/transport.ts";

/** Name of the buffer file inside `[agent] data_dir`. */
export const BUFFER_FILE = "buffer.duckdb";

/** Path of the buffer file of `config`. */
export function bufferPath(config: AgentConfig): string {
  return join(config.agent.data_dir, BUFFER_FILE);
}

/**
 * The per-stream figures of a heartbeat: the buffer's backlog and drops by
 * reason (from the buffer when it counts them, else from the shipper).
 */
export async function heartbeatStreams(
  buffer: AgentBuffer,
  shipper: Shipper,
): Promise<Record<Kind, HeartbeatStream>> {
  const stats = await buffer.stats();
  const counters = shipper.counters();
  const out = {} as Record<Kind, HeartbeatStream>;
  for (const kind of KINDS) {
    const s = stats[kind];
    // The buffer's persistent drop counts (budget, max age and the shipper's
    // drops, recorded when it discards rows) when it keeps them; else the
    // shipper's own counters since start.
    const bufferDrops = (s as { dropped?: unknown }).dropped;
    const dropped: Record<string, number> = {};
    const source = typeof bufferDrops === "object" && bufferDrops !== null
      ? bufferDrops
      : counters[kind]?.rows_dropped ?? {};
    for (const [reason, n] of Object.entries(source)) {
      if (typeof n === "number") dropped[reason] = n;
    }
    out[kind] = {
      backlog_rows: s.backlog_rows,
      backlog_bytes: s.backlog_bytes,
      oldest_unsent_age_s: s.oldest_unsent_age_s,
      dropped,
    };
  }
  return out;
}

/**
 * Sets how long DuckDB's allocator keeps freed memory (`[buffer]
 * allocator_decay_ms`; -1 leaves DuckDB's setting) and returns it for the
 * metrics. The setting is the process's, as the agent is: in-process tests
 * that start agents share it. Without the allocator (a DuckDB build without
 * jemalloc) the agent runs on, with a warning.
 */
function tuneDuckdbAllocator(decayMs: number, log: Logger): DuckdbAllocator | undefined {
  let allocator: DuckdbAllocator | undefined;
  try {
    allocator = openDuckdbAllocator();
    if (decayMs >= 0) allocator.setDecayMs(decayMs);
    return allocator;
  } catch (error) {
    allocator?.close();
    log.warn("DuckDB's allocator not reachable: its freed memory returns at DuckDB's pace", {
      error,
      allocator_decay_ms: decayMs,
    });
    return undefined;
  }
}

/** Options of {@linkcode startAgent}. */
export interface StartAgentOptions {
  /** @default a JSON logger on stderr at `[agent] log_level` */
  log?: Logger;
}

/** A running agent. */
export interface Agent {
  /** Base URL of the HTTP API, with the actual port. */
  readonly httpUrl: string;
  readonly buffer: AgentBuffer;
  readonly shipper: Shipper;
  readonly transport: Transport;
  readonly inputs: readonly Input[];
  /**
   * Resolves with the reason when the agent cannot go on (DuckDB invalidated
   * the buffer): `main.ts` then stops it and exits 1 for a restart. Never
   * resolves otherwise.
   */
  readonly failed: Promise<string>;
  /**
   * Stops inputs, drains the shipper, stops the transport and the HTTP API,
   * closes the buffer. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Starts an agent from a validated config. On failure, whatever was started
 * is stopped again before the error is rethrown.
 *
 * @throws {ConfigError} e.g. an unreadable TLS file.
 * @throws {RetryableError} reason `buffer_open` when the buffer file is locked or unreadable.
 */
export async function startAgent(
  config: AgentConfig,
  options: StartAgentOptions = {},
): Promise<Agent> {
  const agentId = config.agent.id;
  const log = options.log ??
    createLogger({ level: config.agent.log_level, fields: { component: "agent", agent: agentId } });
  const cleanups: (() => Promise<void>)[] = [];
  let fail: (reason: string) => void = () => {};
  const failed = new Promise<string>((resolve) => fail = resolve);
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        log.error("error while stopping", { error });
      }
    }
  };
  try {
    const b = config.buffer;
    const buffer = await AgentBuffer.open({
      onFatal: (error) => {
        log.error("buffer unusable: DuckDB invalidated the database; the agent stops", { error });
        fail(error);
      },
      path: bufferPath(config),
      agent: agentId,
      budget: {
        maxBytes: b.max_bytes,
        maxAgeS: b.max_age_s,
        policy: b.policy,
        priorities: b.priorities,
      },
      memoryLimitMiB: b.memory_limit_mib,
      segmentRows: b.segment_rows,
      onMemoryLimitRaised: ({ fromMiB, toMiB, error }) =>
        log.warn("buffer ran out of memory; DuckDB memory limit raised", {
          from_mib: fromMiB,
          to_mib: toMiB,
          error,
          hint: "raise [buffer] memory_limit_mib",
        }),
    });
    cleanups.push(() => buffer.close());
    const allocator = tuneDuckdbAllocator(b.allocator_decay_ms, log);
    if (allocator) cleanups.push(() => Promise.resolve(allocator.close()));

    const transport = config.transport.create({
      agent: agentId,
      log: log.child({ transport: config.transport.type }),
    });
    cleanups.push(() => transport.stop());
    await transport.start();

    const s = config.shipper;
    // Metrics come after the shipper (they read its counters): bind the ack timer late.
    let observeAck: AckObserver = () => {};
    const shipper = new Shipper({
      buffer,
      transport: timeAcks(transport, (kind, seconds) => observeAck(kind, seconds)),
      log: log.child({ part: "shipper" }),
      maxBatchRows: s.max_batch_rows,
      lingerMs: s.linger_ms,
      inFlight: s.in_flight,
      codec: s.codec,
      retryInitialMs: s.retry_initial_ms,
      retryMaxMs: s.retry_max_ms,
      drainTimeoutMs: s.drain_timeout_ms,
      maxBytesPerSec: s.max_bytes_per_sec,
      stallWarnMs: s.stall_warn_ms,
    });
    cleanups.push(() => shipper.stop());
    await shipper.start();

    const metrics = createAgentMetrics({
      stats: () => buffer.stats(),
      counters: () => shipper.counters(),
      connected: () => transport.connected,
      duckdbMemory: allocator && (() => allocator.stats()),
      mallocMemory: mallocInfo,
    });
    observeAck = metrics.ackObserved;
    const http: HttpServer = await startHttpServer({
      hostname: config.http.address.hostname,
      port: config.http.address.port,
      app: createHttpApp({
        agent: agentId,
        registry: metrics.registry,
        stats: async () => withShipperDrops(await buffer.stats(), shipper.counters()),
        query: (sql) => buffer.query(sql),
        log,
      }),
    });
    cleanups.push(() => http.close());

    const heartbeats = new HeartbeatSender({
      agent: agentId,
      intervalS: config.agent.heartbeat_interval_s,
      snapshot: () => heartbeatStreams(buffer, shipper),
      publish: (payload) => transport.publishHeartbeat?.(payload) ?? false,
      log: log.child({ part: "heartbeat" }),
    });
    cleanups.push(() => heartbeats.stop());
    heartbeats.start();

    const inputs: Input[] = [];
    for (const [i, spec] of config.inputs.entries()) {
      const ctx: InputContext = {
        agent: agentId,
        id: spec.id,
        log: log.child({ input: spec.id, index: i }),
        readCheckpoint: (name) => buffer.readCheckpoint(spec.id, name),
        rejected: (reason, count = 1) => metrics.inputRejected(spec.id, spec.type, reason, count),
        flagged: (flag, count = 1) => metrics.inputFlagged(spec.id, spec.type, flag, count),
        quarantine: (kind, rows, reason) => buffer.quarantine(spec.id, kind, rows, reason),
        async write<K extends Kind>(
          kind: K,
          rows: readonly RowOf[K][],
          checkpoint?: Checkpoint,
        ): Promise<void> {
          let refused: string | undefined;
          try {
            ({ refused } = await buffer.append(kind, rows, {
              checkpoint: checkpoint && { input: spec.id, ...checkpoint },
            }) ?? {});
          } catch (error) {
            const reason = error instanceof PermanentError || error instanceof RetryableError
              ? error.reason
              : "error";
            metrics.writeFailed(kind, reason);
            throw error;
          }
          // Rows the budget refused resolve the write too (the input must not
          // retry them); they are counted in rows_dropped_total, not here.
          if (refused !== undefined) return;
          metrics.rowsBuffered(kind, rows.length);
          metrics.inputRows(spec.id, spec.type, rows.length);
          shipper.wake(kind);
        },
      };
      const input = spec.create(ctx);
      cleanups.push(() => input.stop());
      inputs.push(input);
      await input.start();
    }
    log.info("agent started", { http: http.url, inputs: config.inputs.length });

    let stopping: Promise<void> | undefined;
    return {
      httpUrl: http.url,
      buffer,
      shipper,
      transport,
      inputs,
      failed,
      stop: () =>
        stopping ??= (async () => {
          log.info("agent stopping");
          await cleanup();
          log.info("agent stopped");
        })(),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
