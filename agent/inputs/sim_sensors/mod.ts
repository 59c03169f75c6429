/**
 * `sim_sensors`: simulated sensor readings (temperature, humidity, pressure,
 * vibration, voltage, current, ...) with slow drift and noise.
 * Options and defaults: see README.md beside this file.
 *
 * @module
 */
import { readInt, readString } from "@tributary/shared/config/fields";
import type { InputFactory } from "../input.ts";
import { createSimInput, type SimInput } from "../sim_input.ts";
import { defaultSimOptions, readSimOptions, type SimOptions } from "../sim_options.ts";
import { createSensorSimulator } from "./generator.ts";

export {
  createSensorSimulator,
  METRICS,
  type SensorSimulatorOptions,
  type SimReading,
} from "./generator.ts";

/** Config of a `sim_sensors` input. */
export interface SimSensorsConfig extends SimOptions {
  /** Number of sensors. @default 24 */
  sensors: number;
  /** `site` tag of every reading. @default "plant-1" */
  site: string;
  /** Sensors per production line (`line` tag). @default 8 */
  sensors_per_line: number;
}

/** The `sim_sensors` input factory. */
export const simSensors: InputFactory<SimSensorsConfig, SimInput> = {
  type: "sim_sensors",
  defaultConfig: () => ({
    ...defaultSimOptions(),
    sensors: 24,
    site: "plant-1",
    sensors_per_line: 8,
  }),
  validate(raw, field) {
    const { options, table } = readSimOptions(raw, field, ["sensors", "site", "sensors_per_line"]);
    const d = simSensors.defaultConfig();
    return {
      ...options,
      sensors: readInt(table.sensors, `${field}.sensors`, d.sensors, { min: 1, max: 10_000 }),
      site: readString(table.site, `${field}.site`, d.site, { nonEmpty: true }),
      sensors_per_line: readInt(
        table.sensors_per_line,
        `${field}.sensors_per_line`,
        d.sensors_per_line,
        { min: 1, max: 10_000 },
      ),
    };
  },
  create(config, ctx) {
    const sim = createSensorSimulator({
      seed: config.seed,
      sensors: config.sensors,
      site: config.site,
      sensorsPerLine: config.sensors_per_line,
    });
    return createSimInput(config, ctx, [{ kind: "readings", next: sim.next }]);
  },
};
