import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { recordingContext } from "../testing/context.ts";
import { createLogSimulator, simLogs } from "./mod.ts";

Deno.test("simLogs.validate merges defaults and bounds sources", () => {
  assertEquals(simLogs.validate({ hosts: 2 }, "inputs[1]"), {
    ...simLogs.defaultConfig(),
    hosts: 2,
  });
  assertThrows(
    () => simLogs.validate({ sources: 9 }, "inputs[1]"),
    ConfigError,
    "inputs[1].sources: got 9, expected an integer from 1 to 6",
  );
});

Deno.test("simLogs input writes limit lines that the generator reproduces", async () => {
  const ctx = recordingContext();
  const input = simLogs.create(
    simLogs.validate({ seed: 5, rate: 4000, limit: 120, tick_ms: 5 }, "in"),
    ctx,
  );
  await input.start();
  await input.done;
  await input.stop();
  assertEquals(ctx.rows.readings.length + ctx.rows.trades.length + ctx.rows.quotes.length, 0);
  const sim = createLogSimulator({ seed: 5, sources: 5, hosts: 3 });
  assertEquals(
    ctx.rows.logs.map(({ ts: _t, recv_ts: _r, ...rest }) => rest),
    Array.from({ length: 120 }, () => sim.next()),
  );
});
