/**
 * `sim_logs`: simulated log lines from nginx, sshd, kernel, app, postgres and
 * cron, mostly info. Options and defaults: see README.md beside this file.
 *
 * @module
 */
import { readInt } from "@tributary/shared/config/fields";
import type { InputFactory } from "../input.ts";
import { createSimInput, type SimInput } from "../sim_input.ts";
import { defaultSimOptions, readSimOptions, type SimOptions } from "../sim_options.ts";
import { createLogSimulator, SOURCES } from "./generator.ts";

export {
  createLogSimulator,
  LEVEL_WEIGHTS,
  type LogSimulatorOptions,
  type SimLogLine,
  SOURCES,
} from "./generator.ts";

/** Config of a `sim_logs` input. */
export interface SimLogsConfig extends SimOptions {
  /** Number of sources, taken in order: nginx, sshd, kernel, app, postgres, cron. @default 5 */
  sources: number;
  /** Number of hosts in the `host` field. @default 3 */
  hosts: number;
}

/** The `sim_logs` input factory. */
export const simLogs: InputFactory<SimLogsConfig, SimInput> = {
  type: "sim_logs",
  defaultConfig: () => ({ ...defaultSimOptions(), sources: 5, hosts: 3 }),
  validate(raw, field) {
    const { options, table } = readSimOptions(raw, field, ["sources", "hosts"]);
    const d = simLogs.defaultConfig();
    return {
      ...options,
      sources: readInt(table.sources, `${field}.sources`, d.sources, {
        min: 1,
        max: SOURCES.length,
      }),
      hosts: readInt(table.hosts, `${field}.hosts`, d.hosts, { min: 1, max: 10_000 }),
    };
  },
  create(config, ctx) {
    const sim = createLogSimulator({
      seed: config.seed,
      sources: config.sources,
      hosts: config.hosts,
    });
    return createSimInput(config, ctx, [{ kind: "logs", next: sim.next }]);
  },
};
