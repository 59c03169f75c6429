import { ConfigError } from "@tributary/shared/errors";
import { assert, assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { defaultSimOptions, readSimOptions, subSeed } from "./sim_options.ts";

Deno.test("readSimOptions fills defaults and returns the raw table for extra keys", () => {
  const { options, table } = readSimOptions({ type: "x", rate: 5, sensors: 3 }, "inputs[0]", [
    "sensors",
  ]);
  assertEquals(options, { ...defaultSimOptions(), rate: 5 });
  assertEquals(table.sensors, 3);
});

Deno.test("readSimOptions names bad and unknown fields", () => {
  assertThrows(
    () => readSimOptions({ seed: -1 }, "inputs[0]", []),
    ConfigError,
    "inputs[0].seed: got -1",
  );
  assertThrows(
    () => readSimOptions({ limit: 1.5 }, "inputs[0]", []),
    ConfigError,
    "inputs[0].limit",
  );
  assertThrows(
    () => readSimOptions({ rat: 1 }, "inputs[0]", []),
    ConfigError,
    "inputs[0].rat: got 1, expected no such option",
  );
});

Deno.test("subSeed is deterministic and spreads salts apart", () => {
  assertEquals(subSeed(1, 2), subSeed(1, 2));
  const seeds = new Set(Array.from({ length: 1000 }, (_, i) => subSeed(1, i)));
  assertEquals(seeds.size, 1000);
  assert(subSeed(1, 0) !== subSeed(2, 0));
});
