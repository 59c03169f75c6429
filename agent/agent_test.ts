import { parseHeartbeat } from "@tributary/shared/heartbeat";
import { openDuckdbAllocator } from "@tributary/shared/sql/duckdb_allocator";
import { createLogger } from "@tributary/shared/log";
import type { Kind } from "@tributary/shared/records";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { decodeBatch } from "@tributary/shared/wire";
import { type Agent, startAgent } from "./agent.ts";
import { parseConfig } from "./config.ts";
import { createMarketSimulator } from "./inputs/sim_market/mod.ts";
import { createSensorSimulator } from "./inputs/sim_sensors/mod.ts";
import { startTestBroker } from "./transports/mqtt/test_broker.ts";

async function until(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function configText(dir: string, url: string): string {
  return `
[agent]
id = "edge-9"
data_dir = "${dir}"
[http]
listen = "127.0.0.1:0"
[shipper]
max_batch_rows = 64
linger_ms = 20
[transport.mqtt]
url = "${url}"
# No hub here: the broker's PUBACK confirms.
ack = "broker"
reconnect_initial_ms = 20
reconnect_max_ms = 100
[[inputs]]
type = "sim_sensors"
seed = 4
rate = 3000
limit = 300
sensors = 6
tick_ms = 10
[[inputs]]
type = "sim_market"
seed = 4
rate = 3000
limit = 200
tick_ms = 10
`;
}

Deno.test("startAgent ships simulator rows over MQTT exactly once, in seq order", async () => {
  const broker = await startTestBroker();
  const dir = await Deno.makeTempDir();
  let agent: Agent | undefined;
  try {
    agent = await startAgent(parseConfig(configText(dir, broker.url)), {
      log: createLogger({ sink: () => {} }),
    });
    const a = agent;
    await until(async () => {
      const s = await a.buffer.stats();
      return s.readings.acked_rows === 300 && s.trades.acked_rows === 200 &&
        s.quotes.acked_rows === 200;
    });
    const byStream = new Map<Kind, ReturnType<typeof decodeBatch>[]>();
    // Heartbeats (QoS 0, sent at start and every interval) are not batches.
    const heartbeats = broker.received.filter((m) => m.topic === "tributary/v1/edge-9/heartbeat");
    for (const hb of heartbeats) assertEquals(parseHeartbeat(hb.payload).agent, "edge-9");
    for (const m of broker.received.filter((m) => !heartbeats.includes(m))) {
      const decoded = decodeBatch(m.payload);
      assertEquals(m.topic, `tributary/v1/edge-9/${decoded.envelope.stream}`);
      byStream.set(decoded.envelope.stream, [
        ...byStream.get(decoded.envelope.stream) ?? [],
        decoded,
      ]);
    }
    const sensors = createSensorSimulator({
      seed: 4,
      sensors: 6,
      site: "plant-1",
      sensorsPerLine: 8,
    });
    const readings = byStream.get("readings")!.sort((x, y) =>
      Number(x.envelope.firstSeq - y.envelope.firstSeq)
    );
    const seqs = readings.flatMap((d) => Array.from(d.batch.columns.seq as BigInt64Array));
    assertEquals(seqs, Array.from({ length: 300 }, (_, i) => BigInt(i + 1)));
    const sensorCol = readings.flatMap((d) => d.batch.columns.sensor as string[]);
    const valueCol = readings.flatMap((d) => Array.from(d.batch.columns.value as Float64Array));
    for (let i = 0; i < 300; i++) {
      const expected = sensors.next();
      assertEquals([sensorCol[i], valueCol[i]], [expected.sensor, expected.value]);
    }
    const market = createMarketSimulator({ seed: 4, symbols: 5 });
    const quotes = byStream.get("quotes")!.sort((x, y) =>
      Number(x.envelope.firstSeq - y.envelope.firstSeq)
    );
    const bids = quotes.flatMap((d) => Array.from(d.batch.columns.bid_price as Float64Array));
    assertEquals(bids, Array.from({ length: 200 }, () => market.nextQuote().bid_price));
    assertEquals(byStream.get("logs"), undefined);

    const status = await (await fetch(`${agent.httpUrl}/status`)).json();
    assertEquals(status.agent, "edge-9");
    assertEquals(status.streams.readings.backlog_rows, 0);
    assertEquals(status.streams.readings.next_seq, 301);
    const metrics = await (await fetch(`${agent.httpUrl}/metrics`)).text();
    assert(metrics.includes('tributary_agent_rows_sent_total{stream="trades"} 200'), metrics);
    assert(metrics.includes('tributary_agent_rows_buffered_total{stream="readings"} 300'));
    // DuckDB's allocator gives freed memory back at once ([buffer] allocator_decay_ms = 0),
    // and its figures show.
    const resident = /tributary_agent_duckdb_memory_bytes\{state="resident"\} (\d+)/.exec(metrics);
    assert(Number(resident?.[1]) > 1024 * 1024, metrics);
    assert(/tributary_agent_malloc_bytes\{state="in_use"\} [1-9]/.test(metrics), metrics);
    const allocator = openDuckdbAllocator();
    try {
      assertEquals(allocator.decayMs(), { dirty: 0, muzzy: 0 });
    } finally {
      allocator.close();
    }
  } finally {
    await agent?.stop();
    await agent?.stop();
    await broker.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startAgent buffers while the broker is down and ships once it is up", async () => {
  const probe = await startTestBroker();
  const port = probe.port;
  await probe.close();
  const dir = await Deno.makeTempDir();
  let agent: Agent | undefined;
  const broker = { current: undefined as Awaited<ReturnType<typeof startTestBroker>> | undefined };
  try {
    agent = await startAgent(parseConfig(configText(dir, `mqtt://127.0.0.1:${port}`)), {
      log: createLogger({ sink: () => {} }),
    });
    const a = agent;
    await until(async () => (await a.buffer.stats()).readings.backlog_rows === 300);
    assertEquals((await a.buffer.stats()).readings.acked_rows, 0);
    broker.current = await startTestBroker({ port });
    await until(async () => {
      const s = await a.buffer.stats();
      return s.readings.acked_rows === 300 && s.quotes.acked_rows === 200;
    });
    const readings = broker.current.received
      .map((m) => decodeBatch(m.payload))
      .filter((d) => d.envelope.stream === "readings");
    const rows = readings.reduce((n, d) => n + d.batch.rowCount, 0);
    assertEquals(rows, 300);
  } finally {
    await agent?.stop();
    await broker.current?.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startAgent cleans up when the HTTP port is taken", async () => {
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dir = await Deno.makeTempDir();
  try {
    const text = configText(dir, "mqtt://127.0.0.1:1").replace(
      'listen = "127.0.0.1:0"',
      `listen = "127.0.0.1:${(blocker.addr as Deno.NetAddr).port}"`,
    );
    let failed = false;
    try {
      await startAgent(parseConfig(text), { log: createLogger({ sink: () => {} }) });
    } catch (error) {
      failed = error instanceof Deno.errors.AddrInUse;
    }
    assert(failed, "expected AddrInUse");
  } finally {
    blocker.close();
    await Deno.remove(dir, { recursive: true });
  }
});
