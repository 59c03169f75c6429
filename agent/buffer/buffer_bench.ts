/**
 * Buffer throughput: append 100k readings in 2,500-row commits (the size of a
 * simulator tick at 50k rows/s), then read them back oldest-first in
 * 5,000-row batches. Run: `deno bench -A agent/buffer/buffer_bench.ts`.
 *
 * @module
 */
import type { Reading } from "@tributary/shared/records";
import { createSensorSimulator } from "../inputs/sim_sensors/generator.ts";
import { AgentBuffer } from "./buffer.ts";

const ROWS = 100_000;
const COMMIT_ROWS = 2_500;
const BATCH_ROWS = 5_000;

function readings(): Reading[] {
  const sim = createSensorSimulator({ seed: 1, sensors: 24, site: "plant-1", sensorsPerLine: 8 });
  const start = 1_750_000_000_000_000_000n;
  return Array.from({ length: ROWS }, (_, i) => {
    const ts = start + BigInt(i) * 1_000_000n;
    return { ...sim.next(), ts, recv_ts: ts };
  });
}

const rows = readings();

Deno.bench(`AgentBuffer.append ${ROWS} readings in ${COMMIT_ROWS}-row commits`, async (b) => {
  const dir = await Deno.makeTempDir();
  const buffer = await AgentBuffer.open({ path: `${dir}/buffer.duckdb`, agent: "bench" });
  b.start();
  for (let i = 0; i < ROWS; i += COMMIT_ROWS) {
    await buffer.append("readings", rows.slice(i, i + COMMIT_ROWS));
  }
  b.end();
  await buffer.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.bench(`AgentBuffer.readBatch ${ROWS} readings in ${BATCH_ROWS}-row batches`, async (b) => {
  const dir = await Deno.makeTempDir();
  const buffer = await AgentBuffer.open({ path: `${dir}/buffer.duckdb`, agent: "bench" });
  for (let i = 0; i < ROWS; i += COMMIT_ROWS) {
    await buffer.append("readings", rows.slice(i, i + COMMIT_ROWS));
  }
  b.start();
  let after = 0n;
  for (;;) {
    const batch = await buffer.readBatch("readings", after, BATCH_ROWS);
    if (!batch) break;
    after = batch.lastSeq;
  }
  b.end();
  await buffer.close();
  await Deno.remove(dir, { recursive: true });
});
