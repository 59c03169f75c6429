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
import { KINDS } from "@tributary/shared/records";
import { AgentBuffer } from "../buffer.ts";
import { logLine, quote, reading, trade } from "./rows.ts";

const rows = { readings: reading, logs: logLine, trades: trade, quotes: quote };

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
