/**
 * Hand-built batches for hub tests: every column of `bodyColumns(kind)` filled
 * with values derived from the row's sequence number, so a test can recompute
 * what it expects to find in the hub tables.
 *
 * @module
 */
import { type Batch, bodyColumns, type ColumnValues, type Kind } from "@tributary/shared/records";

/** Options of {@linkcode makeBatch}. */
export interface MakeBatchOptions {
  /** @default "agent-1" */
  agent?: string;
  /** Sequence numbers of the rows, ascending. */
  seqs: readonly bigint[];
  /** @default the first seq (or 1n when there are none) */
  firstSeq?: bigint;
  /** @default the last seq (or firstSeq when there are none) */
  lastSeq?: bigint;
  /** Event time of seq 0, in ns; row `seq` gets `baseTs + seq * 1000`. @default 1_700_000_000_000_000_000n */
  baseTs?: bigint;
}

/**
 * A batch of `kind` whose row values follow from their `seq`:
 * `ts = baseTs + seq*1000`, `recv_ts = ts + 7`, numbers = `seq`, texts = `"<column>-<seq>"`,
 * JSON = `{"seq":<seq>}`, lists = `[seq, seq+1]`.
 *
 * @example
 * ```ts
 * const batch = makeBatch("readings", { seqs: [1n, 2n, 3n] });
 * ```
 */
export function makeBatch(kind: Kind, options: MakeBatchOptions): Batch {
  const seqs = options.seqs;
  const baseTs = options.baseTs ?? 1_700_000_000_000_000_000n;
  const firstSeq = options.firstSeq ?? seqs[0] ?? 1n;
  const lastSeq = options.lastSeq ?? seqs[seqs.length - 1] ?? firstSeq;
  const columns: Record<string, ColumnValues> = {};
  for (const spec of bodyColumns(kind)) {
    const n = seqs.length;
    switch (spec.type) {
      case "ts_ns":
      case "i64":
        columns[spec.name] = BigInt64Array.from(
          seqs,
          (s) =>
            spec.name === "seq"
              ? s
              : spec.name === "recv_ts"
              ? baseTs + s * 1000n + 7n
              : spec.type === "ts_ns"
              ? baseTs + s * 1000n
              : s,
        );
        break;
      case "i32":
        columns[spec.name] = Int32Array.from(seqs, (s) => Number(s % 1000n));
        break;
      case "f64":
        columns[spec.name] = Float64Array.from(seqs, (s) => Number(s) + 0.5);
        break;
      case "utf8":
        columns[spec.name] = seqs.map((s) => `${spec.name}-${s}`);
        break;
      case "json":
        columns[spec.name] = seqs.map((s) => JSON.stringify({ seq: Number(s) }));
        break;
      case "i32_list":
        columns[spec.name] = seqs.map((s) =>
          Int32Array.of(Number(s % 1000n), Number(s % 1000n) + 1)
        );
        break;
    }
    if (columns[spec.name]!.length !== n) throw new Error("makeBatch: column length mismatch");
  }
  return {
    agent: options.agent ?? "agent-1",
    stream: kind,
    firstSeq,
    lastSeq,
    rowCount: seqs.length,
    columns,
  };
}

/** `[from, from+1, ..., to]` as bigints. */
export function seqRange(from: bigint, to: bigint): bigint[] {
  const out: bigint[] = [];
  for (let s = from; s <= to; s++) out.push(s);
  return out;
}
