/**
 * Maps an input `type` from the config file to its factory, and turns an
 * untrusted `[[inputs]]` table into a configured input ready to create.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import { readString, readTable } from "@tributary/shared/config/fields";
import type { Input, InputContext, InputFactory } from "./input.ts";
import { httpInput } from "./http/mod.ts";
import { mqttInput } from "./mqtt/mod.ts";
import { polygon } from "./polygon/mod.ts";
import { simLogs } from "./sim_logs/mod.ts";
import { simMarket } from "./sim_market/mod.ts";
import { simSensors } from "./sim_sensors/mod.ts";
import { syslog } from "./syslog/mod.ts";
import { systemInput } from "./system/mod.ts";
import { tail } from "./tail/mod.ts";
import { readProcessors } from "./processors/config.ts";
import { withProcessors } from "./processors/pipeline.ts";
import { websocket } from "./websocket/mod.ts";

/** Every input type the agent knows, by config name. */
export const INPUT_FACTORIES: Readonly<Record<string, InputFactory<unknown>>> = {
  [simSensors.type]: simSensors as InputFactory<unknown>,
  [simLogs.type]: simLogs as InputFactory<unknown>,
  [simMarket.type]: simMarket as InputFactory<unknown>,
  [httpInput.type]: httpInput as InputFactory<unknown>,
  [mqttInput.type]: mqttInput as InputFactory<unknown>,
  [systemInput.type]: systemInput as InputFactory<unknown>,
  [polygon.type]: polygon as InputFactory<unknown>,
  [websocket.type]: websocket as InputFactory<unknown>,
  [tail.type]: tail as InputFactory<unknown>,
  [syslog.type]: syslog as InputFactory<unknown>,
};

/** An input whose config passed its factory's validation. */
export interface ConfiguredInput {
  readonly type: string;
  /**
   * The stable id its checkpoints are stored under: `[[inputs]] id`, else
   * `<type>#<index in [[inputs]]>` (which changes if inputs are reordered).
   */
  readonly id: string;
  /** The validated config (defaults filled in). */
  readonly config: unknown;
  /** Builds the input; does not start it. */
  create(ctx: InputContext): Input;
}

/**
 * Validates one `[[inputs]]` table (entry `index`): its `type` must name a
 * known input, its optional `id` is a non-empty string, and the rest is
 * checked by that input's factory.
 *
 * @throws {ConfigError} naming e.g. `inputs[0].type` or `inputs[0].rate`.
 */
export function configureInput(raw: unknown, field: string, index = 0): ConfiguredInput {
  // `id` and `processors` apply to every input type: handled here, not by the factory.
  const { id: rawId, processors: rawProcessors, ...table } = readTable(raw, field);
  const type = table.type;
  const factory = typeof type === "string" ? INPUT_FACTORIES[type] : undefined;
  if (factory === undefined) {
    throw new ConfigError(
      `${field}.type`,
      type,
      `one of ${Object.keys(INPUT_FACTORIES).map((t) => `"${t}"`).join(", ")}`,
    );
  }
  const config = factory.validate(table, field);
  const id = rawId === undefined
    ? `${factory.type}#${index}`
    : readString(rawId, `${field}.id`, "", { nonEmpty: true });
  const processors = readProcessors(rawProcessors, `${field}.processors`);
  return {
    type: factory.type,
    id,
    config,
    create: (ctx) => factory.create(config, withProcessors(ctx, processors)),
  };
}

/**
 * Checks that no two inputs share an id (they would share checkpoints).
 *
 * @throws {ConfigError} naming the second input's `id`.
 */
export function assertUniqueInputIds(inputs: readonly ConfiguredInput[]): void {
  const seen = new Set<string>();
  inputs.forEach((input, i) => {
    if (seen.has(input.id)) {
      throw new ConfigError(`inputs[${i}].id`, input.id, "an id no other input has");
    }
    seen.add(input.id);
  });
}
