/**
 * Encode and decode 10,000-row batches per kind per codec (zstd at levels 1
 * and 3). Run: `deno bench -A shared/wire/wire_bench.ts`. Rows per second =
 * 10,000 / (time per iteration).
 */
import { KINDS } from "../records.ts";
import { type Codec, decodeBatch, encodeBatch } from "./mod.ts";
import { sampleBatch } from "./sample_batch.ts";

const ROWS = 10_000;
const SETTINGS: { name: string; codec: Codec; level?: number }[] = [
  { name: "none", codec: "none" },
  { name: "gzip", codec: "gzip" },
  { name: "zstd-1", codec: "zstd", level: 1 },
  { name: "zstd-3", codec: "zstd", level: 3 },
];

for (const kind of KINDS) {
  const batch = sampleBatch(kind, { rows: ROWS, seed: 42 });
  for (const { name, codec, level } of SETTINGS) {
    const bytes = encodeBatch(batch, { codec, level });
    Deno.bench({
      name: `encode ${kind} ${name}`,
      group: `encode ${kind}`,
      baseline: name === "zstd-3",
      fn: () => {
        encodeBatch(batch, { codec, level });
      },
    });
    Deno.bench({
      name: `decode ${kind} ${name}`,
      group: `decode ${kind}`,
      baseline: name === "zstd-3",
      fn: () => {
        decodeBatch(bytes);
      },
    });
  }
}
