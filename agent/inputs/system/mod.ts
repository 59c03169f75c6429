/**
 * `system`: host metrics from /proc (CPU, memory, load, disk and network
 * I/O) and statfs (filesystem usage) every `interval_s` seconds, as readings.
 * Sensors, metrics and units: collect.ts; options: README.md beside this file.
 *
 * A sample whose write fails (buffer full or closed) is not retried: the next
 * sample replaces it. Its rows are counted as rejected, reason `buffer_busy`.
 *
 * @module
 */
import { hostname } from "node:os";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { nowNs } from "@tributary/shared/records";
import type { Input, InputContext, InputFactory } from "../input.ts";
import { type Collector, createCollector } from "./collect.ts";
import {
  defaultSystemInputConfig,
  type SystemInputConfig,
  validateSystemInputConfig,
} from "./config.ts";

export { defaultSystemInputConfig, type SystemInputConfig } from "./config.ts";

/** A running `system` input. */
export interface SystemInput extends Input {
  /** Samples written so far. */
  samples(): number;
}

/** The `system` input factory. */
export const systemInput: InputFactory<SystemInputConfig, SystemInput> = {
  type: "system",
  defaultConfig: defaultSystemInputConfig,
  validate: validateSystemInputConfig,
  create: (config, ctx) => new SystemMetricsInput(config, ctx),
};

class SystemMetricsInput implements SystemInput {
  readonly #config: SystemInputConfig;
  readonly #ctx: InputContext;
  readonly #collector: Collector;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> = Promise.resolve();
  #started = false;
  #stopped = false;
  #samples = 0;

  constructor(config: SystemInputConfig, ctx: InputContext) {
    this.#config = config;
    this.#ctx = ctx;
    this.#collector = createCollector({
      procRoot: config.proc_root,
      collect: config.collect,
      host: config.host || hostname(),
      disks: config.disks,
      interfaces: config.interfaces,
      fsTypes: config.fs_types,
      mountPoints: config.mount_points,
      perCpu: config.per_cpu,
    });
  }

  samples(): number {
    return this.#samples;
  }

  start(): Promise<void> {
    if (this.#started || this.#stopped) return Promise.resolve();
    this.#started = true;
    // A first sample at once: the baseline for rates, and the gauges.
    this.#schedule(0);
    return Promise.resolve();
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#sample().catch((error) => {
        this.#ctx.log.error("system input sample failed", { error });
      }).finally(() => {
        if (!this.#stopped) this.#schedule(this.#config.interval_s * 1000);
      });
    }, ms);
  }

  async #sample(): Promise<void> {
    const { readings, errors } = await this.#collector.collect(nowNs());
    for (const error of errors) this.#ctx.log.warn("system input cannot read", { error });
    if (readings.length === 0) return;
    try {
      await this.#ctx.write("readings", readings);
      this.#samples++;
    } catch (error) {
      if (!(error instanceof RetryableError || error instanceof PermanentError)) throw error;
      this.#ctx.log.warn("system input sample not written", { error });
      this.#ctx.rejected(
        error instanceof RetryableError ? "buffer_busy" : error.reason,
        readings.length,
      );
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
