import { ConfigError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import type { Kind, Reading } from "@tributary/shared/records";
import { assert, assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { createSensorSimulator, simSensors } from "./mod.ts";

Deno.test("simSensors.validate merges defaults and names bad fields", () => {
  const config = simSensors.validate({ type: "sim_sensors", seed: 3, sensors: 5 }, "inputs[0]");
  assertEquals(config, { ...simSensors.defaultConfig(), seed: 3, sensors: 5 });
  assertThrows(
    () => simSensors.validate({ sensors: 0 }, "inputs[0]"),
    ConfigError,
    "inputs[0].sensors: got 0, expected an integer from 1 to 10000",
  );
  assertThrows(() => simSensors.validate({ rate: -1 }, "inputs[0]"), ConfigError, "inputs[0].rate");
  assertThrows(
    () => simSensors.validate({ sensor: 3 }, "inputs[0]"),
    ConfigError,
    "inputs[0].sensor: got 3, expected no such option",
  );
});

Deno.test("simSensors input writes limit rows that the generator reproduces", async () => {
  const written: Reading[] = [];
  const config = simSensors.validate(
    { seed: 11, rate: 5000, limit: 300, sensors: 6, tick_ms: 5 },
    "in",
  );
  const input = simSensors.create(config, {
    agent: "edge-1",
    id: "test#0",
    readCheckpoint: () => Promise.resolve(undefined),
    rejected: () => {},
    log: createLogger({ sink: () => {} }),
    write: <K extends Kind>(kind: K, rows: readonly unknown[]) => {
      assertEquals(kind, "readings");
      written.push(...rows as Reading[]);
      return Promise.resolve();
    },
  });
  await input.start();
  await input.done;
  await input.stop();
  await input.stop();
  assertEquals(written.length, 300);
  const sim = createSensorSimulator({ seed: 11, sensors: 6, site: "plant-1", sensorsPerLine: 8 });
  for (const row of written) {
    const { ts, recv_ts, ...rest } = row;
    assertEquals(rest, sim.next());
    assertEquals(ts, recv_ts);
    assert(ts > 1_600_000_000_000_000_000n);
  }
  assertEquals(input.written(), { readings: 300 });
});

Deno.test("simSensors input stop is safe before start", async () => {
  const input = simSensors.create(simSensors.defaultConfig(), {
    agent: "a",
    id: "test#0",
    readCheckpoint: () => Promise.resolve(undefined),
    rejected: () => {},
    log: createLogger({ sink: () => {} }),
    write: () => Promise.resolve(),
  });
  await input.stop();
  await input.start();
  assertEquals(input.written(), {});
});
