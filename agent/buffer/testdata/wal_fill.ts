/**
 * Test fixture (buffer_test.ts): appends 150 writes of 100 rows per stream
 * into a buffer with segments of 2048 seqs, then exits without closing it, so
 * DuckDB leaves everything in the WAL (no checkpoint at shutdown), as after a
 * SIGKILL. Replaying that WAL fills ~30 tables at once: more than 16 MiB.
 *
 * deno run -A agent/buffer/testdata/wal_fill.ts <buffer path>
 *
 * @module
 */
import {
  KINDS,
  type LogLine,
  type Quote,
  type Reading,
  type Trade,
} from "@tributary/shared/records";
import { AgentBuffer } from "../buffer.ts";

const rows = {
  readings: (i: number): Reading => ({
    ts: BigInt(i),
    recv_ts: BigInt(i),
    sensor: `s-${i % 50}`,
    metric: "temperature",
    value: i / 4,
    unit: "degC",
    tags: `{"site":"plant-${i % 3}"}`,
  }),
  logs: (i: number): LogLine => ({
    ts: BigInt(i),
    recv_ts: BigInt(i),
    source: "app",
    level: "info",
    message: `request ${i} served`,
    fields: "{}",
  }),
  trades: (i: number): Trade => ({
    ts: BigInt(i),
    recv_ts: BigInt(i),
    symbol: "MSFT",
    price: 400 + i / 100,
    size: 100,
    exchange: 12,
    conditions: [14, 37],
    trade_id: `t${i}`,
  }),
  quotes: (i: number): Quote => ({
    ts: BigInt(i),
    recv_ts: BigInt(i),
    symbol: "MSFT",
    bid_price: 399,
    bid_size: 1,
    ask_price: 401,
    ask_size: 2,
    bid_exchange: 1,
    ask_exchange: 2,
  }),
};

const buffer = await AgentBuffer.open({
  path: Deno.args[0]!,
  agent: "edge-1",
  segmentRows: 2048,
  memoryLimitMiB: 256,
});
for (let write = 0; write < 150; write++) {
  for (const kind of KINDS) {
    const batch = Array.from({ length: 100 }, (_, j) => rows[kind](write * 100 + j));
    await buffer.append(kind, batch as never);
  }
}
Deno.exit(0); // no close: the rows stay in the WAL
