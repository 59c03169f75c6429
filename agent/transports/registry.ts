/**
 * Maps `[transport] type` to its factory and validates `[transport.<type>]`.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import { readTable, rejectUnknownKeys } from "@tributary/shared/config/fields";
import { mqttTransport } from "./mqtt/mod.ts";
import { kafkaTransport } from "./kafka/mod.ts";
import type { Transport, TransportContext, TransportFactory } from "./transport.ts";

/** Every transport type the agent knows, by config name. */
export const TRANSPORT_FACTORIES: Readonly<Record<string, TransportFactory<unknown>>> = {
  [mqttTransport.type]: mqttTransport as TransportFactory<unknown>,
  [kafkaTransport.type]: kafkaTransport as TransportFactory<unknown>,
};

/** A transport whose config passed validation. */
export interface ConfiguredTransport {
  readonly type: string;
  /** The validated config of the chosen type (defaults filled in). */
  readonly config: unknown;
  /** Builds the transport; does not start it. */
  create(ctx: TransportContext): Transport;
}

/**
 * Validates the `[transport]` table: `type` (default "mqtt") and the table
 * named after the type, e.g. `[transport.mqtt]`.
 *
 * @throws {ConfigError} naming e.g. `transport.type` or `transport.mqtt.url`.
 */
export function configureTransport(raw: unknown, field = "transport"): ConfiguredTransport {
  const table = readTable(raw, field);
  rejectUnknownKeys(table, ["type", ...Object.keys(TRANSPORT_FACTORIES)], field);
  const type = table.type ?? "mqtt";
  const factory = typeof type === "string" ? TRANSPORT_FACTORIES[type] : undefined;
  if (factory === undefined) {
    throw new ConfigError(
      `${field}.type`,
      type,
      `one of ${Object.keys(TRANSPORT_FACTORIES).map((t) => `"${t}"`).join(", ")}`,
    );
  }
  const config = factory.validate(table[factory.type], `${field}.${factory.type}`);
  return { type: factory.type, config, create: (ctx) => factory.create(config, ctx) };
}
