import { ConfigError } from "@tributary/shared/errors";
import { assert, assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { recordingContext } from "../testing/context.ts";
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
  const ctx = recordingContext();
  const config = simSensors.validate(
    { seed: 11, rate: 5000, limit: 300, sensors: 6, tick_ms: 5 },
    "in",
  );
  const input = simSensors.create(config, ctx);
  await input.start();
  await input.done;
  await input.stop();
  await input.stop();
  const written = ctx.rows.readings;
  assertEquals(written.length, 300);
  assertEquals(ctx.rows.logs.length + ctx.rows.trades.length + ctx.rows.quotes.length, 0);
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
  const input = simSensors.create(simSensors.defaultConfig(), recordingContext({ agent: "a" }));
  await input.stop();
  await input.start();
  assertEquals(input.written(), {});
});
