/**
 * Config files for the Kafka integration, conformance and reliability tests:
 * a hub consuming from Kafka (its embedded MQTT broker on a free port, so
 * several hubs can run side by side) and an agent shipping over Kafka.
 *
 * @module
 */
import { join } from "node:path";

/** Options of {@linkcode writeKafkaHubConfig}. */
export interface KafkaHubConfigOptions {
  /** The hub's data folder (holds hub.duckdb). */
  dataDir: string;
  /** `host:port` of the broker. */
  bootstrap: string;
  /** Consumer group. @default "tributary-hub" */
  groupId?: string;
  /** Partitions of the topics the hub creates. @default 4 */
  partitions?: number;
  /** Session timeout of the group member, in ms. @default 6000 */
  sessionTimeoutMs?: number;
}

/** Writes `<dir>/<name>.toml` for a hub consuming from Kafka; returns its path. */
export async function writeKafkaHubConfig(
  dir: string,
  name: string,
  options: KafkaHubConfigOptions,
): Promise<string> {
  const path = join(dir, `${name}.toml`);
  await Deno.writeTextFile(
    path,
    `[hub]\ndata_dir = ${JSON.stringify(options.dataDir)}\n` +
      `[http]\nlisten = "127.0.0.1:0"\n` +
      `[broker]\nlisten = "127.0.0.1:0"\n` +
      `[kafka]\nbrokers = [${JSON.stringify(options.bootstrap)}]\n` +
      `group_id = ${JSON.stringify(options.groupId ?? "tributary-hub")}\n` +
      `partitions = ${options.partitions ?? 4}\n` +
      `session_timeout_ms = ${options.sessionTimeoutMs ?? 6_000}\n`,
  );
  return path;
}

/** Options of {@linkcode writeKafkaAgentConfig}. */
export interface KafkaAgentConfigOptions {
  agentId: string;
  dataDir: string;
  bootstrap: string;
  /** `[[inputs]]` tables and anything else appended verbatim. */
  inputs: string;
  /** Extra lines of `[transport.kafka]`. */
  transportExtra?: string;
  /** Extra lines of `[shipper]`. */
  shipperExtra?: string;
}

/** Writes `<dir>/<name>.toml` for an agent shipping over Kafka; returns its path. */
export async function writeKafkaAgentConfig(
  dir: string,
  name: string,
  options: KafkaAgentConfigOptions,
): Promise<string> {
  const path = join(dir, `${name}.toml`);
  await Deno.writeTextFile(
    path,
    `[agent]\nid = ${JSON.stringify(options.agentId)}\ndata_dir = ${
      JSON.stringify(options.dataDir)
    }\n` +
      `[http]\nlisten = "127.0.0.1:0"\n` +
      (options.shipperExtra ? `[shipper]\n${options.shipperExtra}\n` : "") +
      `[transport]\ntype = "kafka"\n[transport.kafka]\nbrokers = [${
        JSON.stringify(options.bootstrap)
      }]\n` +
      (options.transportExtra ? `${options.transportExtra}\n` : "") +
      options.inputs,
  );
  return path;
}

/** `[[inputs]]` for the three seeded simulators, `rows` each at `rate` rows/s. */
export function simulatorInputs(
  seeds: { sensors: number; logs: number; market: number },
  rows: number,
  rate = 5_000,
): string {
  return `[[inputs]]\ntype = "sim_sensors"\nseed = ${seeds.sensors}\nrate = ${rate}\nlimit = ${rows}\n` +
    `[[inputs]]\ntype = "sim_logs"\nseed = ${seeds.logs}\nrate = ${rate}\nlimit = ${rows}\n` +
    `[[inputs]]\ntype = "sim_market"\nseed = ${seeds.market}\nrate = ${rate}\nlimit = ${rows}\n`;
}

/** Runs kcat with `args`; returns stdout, throws with stderr on failure. */
export async function kcat(args: string[]): Promise<string> {
  const output = await new Deno.Command("kcat", { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `kcat ${args.join(" ")} exited ${output.code}: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return text;
}
