import { createLogger } from "@tributary/shared/log";
import type { Kind } from "@tributary/shared/records";
import { assertEquals } from "@tributary/shared/testing/asserts";
import type { Checkpoint, InputContext } from "./input.ts";
import {
  createMarketSimulator,
  simMarket,
  type SimQuote,
  type SimTrade,
} from "./sim_market/mod.ts";

/** A context whose checkpoints live in `saved`, committed with the rows like the buffer does. */
function memoryContext(saved: Map<string, string>, rows: Record<string, unknown[]>): InputContext {
  return {
    agent: "a",
    id: "sim_market#0",
    log: createLogger({ sink: () => {} }),
    write: <K extends Kind>(kind: K, batch: readonly unknown[], checkpoint?: Checkpoint) => {
      (rows[kind] ??= []).push(...batch);
      if (checkpoint) saved.set(checkpoint.name, checkpoint.position);
      return Promise.resolve();
    },
    readCheckpoint: (name) => Promise.resolve(saved.get(name)),
    rejected: () => {},
  };
}

const strip = ({ ts: _ts, recv_ts: _recv, ...rest }: Record<string, unknown>) => rest;

Deno.test("createSimInput resumes each kind from its checkpoint and stops at limit in total", async () => {
  const saved = new Map([["trades", "50"], ["quotes", "120"]]);
  const rows: Record<string, unknown[]> = {};
  const config = simMarket.validate({ seed: 9, rate: 20_000, limit: 200, tick_ms: 2 }, "in");
  const input = simMarket.create(config, memoryContext(saved, rows));
  await input.start();
  await input.done;
  await input.stop();
  const sim = createMarketSimulator({ seed: 9, symbols: config.symbols });
  const trades: SimTrade[] = Array.from({ length: 200 }, sim.nextTrade);
  const quotes: SimQuote[] = Array.from({ length: 200 }, sim.nextQuote);
  assertEquals(rows.trades!.map((r) => strip(r as Record<string, unknown>)), trades.slice(50));
  assertEquals(rows.quotes!.map((r) => strip(r as Record<string, unknown>)), quotes.slice(120));
  assertEquals(Object.fromEntries(saved), { trades: "200", quotes: "200" });
  assertEquals(input.written(), { trades: 200, quotes: 200 });
});

Deno.test("createSimInput stopped midway and restarted writes the sequence exactly once", async () => {
  const saved = new Map<string, string>();
  const rows: Record<string, unknown[]> = {};
  const config = simMarket.validate({ seed: 4, rate: 2_000, limit: 300, tick_ms: 5 }, "in");
  const first = simMarket.create(config, memoryContext(saved, rows));
  await first.start();
  await new Promise((r) => setTimeout(r, 40));
  await first.stop();
  const partial = rows.trades?.length ?? 0;
  const second = simMarket.create(config, memoryContext(saved, rows));
  await second.start();
  await second.done;
  await second.stop();
  const sim = createMarketSimulator({ seed: 4, symbols: config.symbols });
  assertEquals(
    rows.trades!.map((r) => strip(r as Record<string, unknown>)),
    Array.from({ length: 300 }, sim.nextTrade),
  );
  assertEquals(rows.quotes!.length, 300);
  assertEquals(partial > 0 && partial < 300, true, `rows before the stop: ${partial}`);
});

Deno.test("createSimInput ignores a bad checkpoint and starts from row 0", async () => {
  const saved = new Map([["trades", "-3"], ["quotes", "abc"]]);
  const rows: Record<string, unknown[]> = {};
  const config = simMarket.validate({ seed: 1, rate: 20_000, limit: 20, tick_ms: 2 }, "in");
  const input = simMarket.create(config, memoryContext(saved, rows));
  await input.start();
  await input.done;
  await input.stop();
  assertEquals(rows.trades!.length, 20);
  assertEquals(rows.quotes!.length, 20);
});
