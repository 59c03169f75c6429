/**
 * Deterministic sensor readings: every non-time field of row n is a pure
 * function of (seed, options, n), so a test can regenerate exactly what an
 * agent with the same seed produced.
 *
 * Each sensor measures one metric; its value is a mean-reverting drift
 * (Ornstein-Uhlenbeck) around a per-sensor baseline plus measurement noise,
 * clamped to the physical range. Sensors are read round-robin.
 *
 * @module
 */
import { createRandom, type Random } from "@tributary/shared/prng";
import type { Reading } from "@tributary/shared/records";
import { subSeed } from "../sim_options.ts";

/** One kind of measurement. */
export interface MetricSpec {
  /** Metric name, e.g. `temperature`. */
  name: string;
  /** Short prefix of sensor ids, e.g. `temp`. */
  prefix: string;
  unit: string;
  /** Typical value. */
  mean: number;
  /** How far sensors' baselines differ from `mean`. */
  spread: number;
  /** Size of the slow drift. */
  drift: number;
  /** Size of the measurement noise. */
  noise: number;
  /** Physical bounds. */
  min: number;
  max: number;
  /** Decimals reported. */
  decimals: number;
}

/** The metrics sensors are drawn from, in order. */
export const METRICS: readonly MetricSpec[] = [
  {
    name: "temperature",
    prefix: "temp",
    unit: "degC",
    mean: 22,
    spread: 4,
    drift: 1.5,
    noise: 0.05,
    min: -40,
    max: 125,
    decimals: 2,
  },
  {
    name: "humidity",
    prefix: "hum",
    unit: "%",
    mean: 45,
    spread: 8,
    drift: 4,
    noise: 0.3,
    min: 0,
    max: 100,
    decimals: 1,
  },
  {
    name: "pressure",
    prefix: "press",
    unit: "hPa",
    mean: 1013,
    spread: 3,
    drift: 4,
    noise: 0.1,
    min: 870,
    max: 1085,
    decimals: 1,
  },
  {
    name: "vibration",
    prefix: "vib",
    unit: "mm/s",
    mean: 2.5,
    spread: 1,
    drift: 0.8,
    noise: 0.15,
    min: 0,
    max: 50,
    decimals: 3,
  },
  {
    name: "voltage",
    prefix: "volt",
    unit: "V",
    mean: 230,
    spread: 1.5,
    drift: 1.2,
    noise: 0.2,
    min: 180,
    max: 260,
    decimals: 2,
  },
  {
    name: "current",
    prefix: "curr",
    unit: "A",
    mean: 8,
    spread: 3,
    drift: 1,
    noise: 0.05,
    min: 0,
    max: 63,
    decimals: 3,
  },
  {
    name: "power",
    prefix: "pwr",
    unit: "kW",
    mean: 1.8,
    spread: 0.7,
    drift: 0.3,
    noise: 0.01,
    min: 0,
    max: 15,
    decimals: 3,
  },
  {
    name: "flow",
    prefix: "flow",
    unit: "L/min",
    mean: 120,
    spread: 30,
    drift: 10,
    noise: 0.8,
    min: 0,
    max: 500,
    decimals: 1,
  },
  {
    name: "rpm",
    prefix: "rpm",
    unit: "rpm",
    mean: 1480,
    spread: 20,
    drift: 8,
    noise: 2,
    min: 0,
    max: 3600,
    decimals: 0,
  },
  {
    name: "co2",
    prefix: "co2",
    unit: "ppm",
    mean: 650,
    spread: 150,
    drift: 60,
    noise: 5,
    min: 350,
    max: 5000,
    decimals: 0,
  },
];

/** Options of {@linkcode createSensorSimulator}. */
export interface SensorSimulatorOptions {
  seed: number;
  /** Number of sensors, 1 to 10 000. */
  sensors: number;
  /** `site` tag of every reading. */
  site: string;
  /** Sensors per production line (the `line` tag). */
  sensorsPerLine: number;
}

/** A reading without its timestamps, which the input adds at generation time. */
export type SimReading = Omit<Reading, "ts" | "recv_ts">;

/** A generator of sensor readings; `next()` returns row 0, 1, 2, ... */
export interface SensorSimulator {
  next(): SimReading;
}

interface SensorState {
  id: string;
  metric: MetricSpec;
  baseline: number;
  /** Current drift away from the baseline (OU state). */
  offset: number;
  tags: string;
  random: Random;
}

/** Mean reversion per reading of the drift; small, so drift is slow. */
const REVERSION = 0.02;

/**
 * Creates a sensor simulator.
 *
 * @example
 * ```ts
 * const sim = createSensorSimulator({ seed: 1, sensors: 24, site: "plant-1", sensorsPerLine: 8 });
 * sim.next(); // { sensor: "temp-000", metric: "temperature", value: 22.41, unit: "degC", tags: '{"site":"plant-1","line":"1"}' }
 * ```
 */
export function createSensorSimulator(options: SensorSimulatorOptions): SensorSimulator {
  const sensors: SensorState[] = [];
  for (let i = 0; i < options.sensors; i++) {
    const metric = METRICS[i % METRICS.length]!;
    const random = createRandom(subSeed(options.seed, i));
    const line = Math.floor(i / options.sensorsPerLine) + 1;
    sensors.push({
      id: `${metric.prefix}-${String(i).padStart(3, "0")}`,
      metric,
      baseline: metric.mean + metric.spread * (random.next() * 2 - 1),
      offset: 0,
      tags: JSON.stringify({ site: options.site, line: String(line) }),
      random,
    });
  }
  let index = 0;
  return {
    next(): SimReading {
      const s = sensors[index % sensors.length]!;
      index++;
      const m = s.metric;
      s.offset += -REVERSION * s.offset + m.drift * Math.sqrt(2 * REVERSION) * s.random.normal();
      const raw = s.baseline + s.offset + m.noise * s.random.normal();
      const clamped = Math.min(m.max, Math.max(m.min, raw));
      const scale = 10 ** m.decimals;
      return {
        sensor: s.id,
        metric: m.name,
        value: Math.round(clamped * scale) / scale,
        unit: m.unit,
        tags: s.tags,
      };
    },
  };
}
