import { ConfigError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { assertUniqueInputIds, configureInput, INPUT_FACTORIES } from "./registry.ts";

Deno.test("INPUT_FACTORIES lists the three simulators", () => {
  // Other inputs (tail, syslog, ...) are listed too; their own tests cover them.
  for (const type of ["sim_logs", "sim_market", "sim_sensors"]) {
    assertEquals(type in INPUT_FACTORIES, true, type);
  }
});

Deno.test("configureInput validates through the factory and creates a stoppable input", async () => {
  const configured = configureInput({ type: "sim_logs", rate: 10 }, "inputs[0]");
  assertEquals(configured.type, "sim_logs");
  assertEquals((configured.config as { rate: number }).rate, 10);
  const input = configured.create({
    agent: "a",
    id: "test#0",
    readCheckpoint: () => Promise.resolve(undefined),
    rejected: () => {},
    log: createLogger({ sink: () => {} }),
    write: () => Promise.resolve(),
  });
  await input.stop();
});

Deno.test("configureInput names an unknown or missing type", () => {
  assertThrows(
    () => configureInput({ type: "no_such_input" }, "inputs[3]"),
    ConfigError,
    'inputs[3].type: got "no_such_input", expected one of "sim_sensors", "sim_logs", "sim_market"',
  );
  assertThrows(() => configureInput({}, "inputs[0]"), ConfigError, "inputs[0].type: got nothing");
  assertThrows(
    () => configureInput([], "inputs[0]"),
    ConfigError,
    "inputs[0]: got [], expected a table",
  );
});

Deno.test("configureInput gives a stable id: the id key, else <type>#<index>", () => {
  assertEquals(configureInput({ type: "sim_logs" }, "inputs[2]", 2).id, "sim_logs#2");
  const named = configureInput({ type: "sim_logs", id: "plant-logs", rate: 5 }, "inputs[0]", 0);
  assertEquals(named.id, "plant-logs");
  assertEquals((named.config as { rate: number }).rate, 5);
  assertThrows(
    () => configureInput({ type: "sim_logs", id: "" }, "inputs[1]", 1),
    ConfigError,
    'inputs[1].id: got ""',
  );
});

Deno.test("assertUniqueInputIds refuses two inputs with one id", () => {
  const a = configureInput({ type: "sim_logs", id: "x" }, "inputs[0]", 0);
  const b = configureInput({ type: "sim_market", id: "x" }, "inputs[1]", 1);
  assertUniqueInputIds([a, configureInput({ type: "sim_logs" }, "inputs[1]", 1)]);
  assertThrows(() => assertUniqueInputIds([a, b]), ConfigError, 'inputs[1].id: got "x"');
});
