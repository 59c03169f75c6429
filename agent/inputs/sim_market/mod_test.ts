import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { recordingContext } from "../testing/context.ts";
import { createMarketSimulator, simMarket } from "./mod.ts";

Deno.test("simMarket.validate merges defaults and bounds symbols", () => {
  assertEquals(simMarket.validate({ symbols: 2 }, "i"), {
    ...simMarket.defaultConfig(),
    symbols: 2,
  });
  assertThrows(
    () => simMarket.validate({ symbols: "5" }, "inputs[2]"),
    ConfigError,
    'inputs[2].symbols: got "5"',
  );
});

Deno.test("simMarket input writes limit trades and limit quotes the generator reproduces", async () => {
  const ctx = recordingContext();
  const input = simMarket.create(
    simMarket.validate({ seed: 9, rate: 4000, limit: 150, tick_ms: 5 }, "i"),
    ctx,
  );
  await input.start();
  await input.done;
  await input.stop();
  const { trades, quotes, readings, logs } = ctx.rows;
  assertEquals(readings.length + logs.length, 0);
  const sim = createMarketSimulator({ seed: 9, symbols: 5 });
  assertEquals(
    trades.map(({ ts: _t, recv_ts: _r, ...rest }) => rest),
    Array.from({ length: 150 }, () => sim.nextTrade()),
  );
  assertEquals(
    quotes.map(({ ts: _t, recv_ts: _r, ...rest }) => rest),
    Array.from({ length: 150 }, () => sim.nextQuote()),
  );
});
