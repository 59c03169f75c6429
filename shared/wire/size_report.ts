/**
 * Prints wire bytes per row, and encode/decode rows per second, for each kind
 * and codec, on realistic 10,000-row batches from `sampleBatch`.
 *
 * Run: `deno run -A shared/wire/size_report.ts [rows]`
 *
 * @module
 */
import { KINDS } from "../records.ts";
import { type Codec, decodeBatch, encodeBatch } from "./mod.ts";
import { sampleBatch } from "./sample_batch.ts";

/** One line of the report. */
export interface SizeRow {
  kind: string;
  codec: string;
  bytesPerRow: number;
  encodeRowsPerSecond: number;
  decodeRowsPerSecond: number;
}

/** Codec settings the report compares. */
export const REPORT_SETTINGS: readonly { name: string; codec: Codec; level?: number }[] = [
  { name: "none", codec: "none" },
  { name: "gzip-6", codec: "gzip" },
  { name: "zstd-1", codec: "zstd", level: 1 },
  { name: "zstd-3", codec: "zstd", level: 3 },
];

/** Measures every kind × setting on `rows`-row batches, timing `repeat` runs each. */
export function sizeReport(rows = 10_000, repeat = 5): SizeRow[] {
  const report: SizeRow[] = [];
  for (const kind of KINDS) {
    const batch = sampleBatch(kind, { rows, seed: 42 });
    for (const { name, codec, level } of REPORT_SETTINGS) {
      let bytes = encodeBatch(batch, { codec, level }); // warm-up
      decodeBatch(bytes);
      let started = performance.now();
      for (let i = 0; i < repeat; i++) bytes = encodeBatch(batch, { codec, level });
      const encodeMs = (performance.now() - started) / repeat;
      started = performance.now();
      for (let i = 0; i < repeat; i++) decodeBatch(bytes);
      const decodeMs = (performance.now() - started) / repeat;
      report.push({
        kind,
        codec: name,
        bytesPerRow: bytes.length / rows,
        encodeRowsPerSecond: rows / (encodeMs / 1000),
        decodeRowsPerSecond: rows / (decodeMs / 1000),
      });
    }
  }
  return report;
}

if (import.meta.main) {
  const rows = Number(Deno.args[0] ?? 10_000);
  console.log(`rows per batch: ${rows}`);
  console.log("kind      codec    bytes/row   encode rows/s   decode rows/s");
  for (const row of sizeReport(rows)) {
    console.log(
      `${row.kind.padEnd(9)} ${row.codec.padEnd(8)} ${row.bytesPerRow.toFixed(2).padStart(9)} ${
        Math.round(row.encodeRowsPerSecond).toLocaleString("en").padStart(15)
      } ${Math.round(row.decodeRowsPerSecond).toLocaleString("en").padStart(15)}`,
    );
  }
}
