import { ConfigError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import type { Kind, Quote, Trade } from "@tributary/shared/records";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
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
  const trades: Trade[] = [];
  const quotes: Quote[] = [];
  const input = simMarket.create(
    simMarket.validate({ seed: 9, rate: 4000, limit: 150, tick_ms: 5 }, "i"),
    {
      agent: "edge-1",
      id: "test#0",
      readCheckpoint: () => Promise.resolve(undefined),
      rejected: () => {},
      log: createLogger({ sink: () => {} }),
      write: <K extends Kind>(kind: K, rows: readonly unknown[]) => {
        if (kind === "trades") trades.push(...rows as Trade[]);
        else if (kind === "quotes") quotes.push(...rows as Quote[]);
        else throw new Error(`unexpected kind ${kind}`);
        return Promise.resolve();
      },
    },
  );
  await input.start();
  await input.done;
  await input.stop();
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
