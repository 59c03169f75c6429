import { ConfigError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { configureInput, INPUT_FACTORIES } from "./registry.ts";

Deno.test("INPUT_FACTORIES lists the three simulators", () => {
  assertEquals(Object.keys(INPUT_FACTORIES).sort(), ["sim_logs", "sim_market", "sim_sensors"]);
});

Deno.test("configureInput validates through the factory and creates a stoppable input", async () => {
  const configured = configureInput({ type: "sim_logs", rate: 10 }, "inputs[0]");
  assertEquals(configured.type, "sim_logs");
  assertEquals((configured.config as { rate: number }).rate, 10);
  const input = configured.create({
    agent: "a",
    log: createLogger({ sink: () => {} }),
    write: () => Promise.resolve(),
  });
  await input.stop();
});

Deno.test("configureInput names an unknown or missing type", () => {
  assertThrows(
    () => configureInput({ type: "tail" }, "inputs[3]"),
    ConfigError,
    'inputs[3].type: got "tail", expected one of "sim_sensors", "sim_logs", "sim_market"',
  );
  assertThrows(() => configureInput({}, "inputs[0]"), ConfigError, "inputs[0].type: got nothing");
  assertThrows(
    () => configureInput([], "inputs[0]"),
    ConfigError,
    "inputs[0]: got [], expected a table",
  );
});
