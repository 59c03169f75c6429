/**
 * A seeded feed of all four kinds for rollup tests, and a delivery schedule
 * that does what real networks and agents do to it: batches arrive shuffled,
 * some twice, some re-batched so that they overlap batches already stored,
 * and some only at the very end (late).
 *
 * Event times are not ordered by sequence number (readings arrive out of
 * order within a stream), are spread over about three hours so that every
 * OHLCV interval has several buckets, and fall on whole seconds with values
 * rounded to one decimal, so that ties in (ts, value) happen and the
 * tie-breaks of first and last are exercised.
 *
 * @module
 */
import {
  type Batch,
  type ColumnValues,
  type Kind,
  KINDS,
  LOG_LEVELS,
} from "@tributary/shared/records";
import { createRandom, type Random } from "@tributary/shared/prng";

/** Options of {@linkcode generateFeed}. */
export interface FeedOptions {
  seed: number;
  /** @default ["edge-a", "edge-b"] */
  agents?: readonly string[];
  /** Rows per (agent, kind). @default 4000 */
  rowsPerStream?: number;
  /** Rows per original batch. @default 200 */
  batchRows?: number;
  /** Start of the time range, ns. @default 2026-01-05T09:00:00Z */
  startNs?: bigint;
  /** Length of the time range, seconds. @default 10800 (3 h) */
  spanS?: number;
}

/** Every row of one (agent, kind), seq 1..N, as one batch. */
export type StreamRows = Batch;

/** A generated feed: the full rows per stream, and how to cut batches from them. */
export interface Feed {
  streams: StreamRows[];
  batchRows: number;
}

const SYMBOLS = ["AAPL", "MSFT", "TSLA"];
const SENSORS = ["s1", "s2", "s3"];
const METRICS = ["temperature", "humidity"];
const SOURCES = ["kernel", "app", "sshd"];

/** Generates every row of every (agent, kind) from `options.seed`. */
export function generateFeed(options: FeedOptions): Feed {
  const random = createRandom(options.seed);
  const agents = options.agents ?? ["edge-a", "edge-b"];
  const n = options.rowsPerStream ?? 4000;
  const startNs = options.startNs ?? 1_767_603_600_000_000_000n;
  const spanS = options.spanS ?? 10_800;
  const streams: StreamRows[] = [];
  for (const agent of agents) {
    for (const kind of KINDS) {
      streams.push(streamRows(random, agent, kind, n, startNs, spanS));
    }
  }
  return { streams, batchRows: options.batchRows ?? 200 };
}

function streamRows(
  random: Random,
  agent: string,
  kind: Kind,
  n: number,
  startNs: bigint,
  spanS: number,
): StreamRows {
  const seq = BigInt64Array.from({ length: n }, (_, i) => BigInt(i + 1));
  // Whole seconds: many rows of one group share a ts, so tie-breaks matter.
  const ts = BigInt64Array.from(
    { length: n },
    () => startNs + BigInt(random.int(0, spanS - 1)) * 1_000_000_000n,
  );
  const recvTs = ts.map((t) => t + 5_000_000n);
  const round1 = (x: number) => Math.round(x * 10) / 10;
  const text = (items: readonly string[]) => Array.from({ length: n }, () => random.pick(items));
  const float = (f: () => number) => Float64Array.from({ length: n }, f);
  const columns: Record<string, ColumnValues> = { seq, ts, recv_ts: recvTs };
  switch (kind) {
    case "readings":
      columns.sensor = text(SENSORS);
      columns.metric = text(METRICS);
      // Positive values, so that a 1e-9 relative tolerance on sums is meaningful.
      columns.value = float(() => round1(20 + 5 * random.normal()));
      columns.unit = Array.from({ length: n }, () => "");
      columns.tags = Array.from({ length: n }, () => "{}");
      break;
    case "logs":
      columns.source = text(SOURCES);
      columns.level = text(LOG_LEVELS);
      columns.message = Array.from({ length: n }, (_, i) => `line ${i}`);
      columns.fields = Array.from({ length: n }, () => "{}");
      break;
    case "trades":
      columns.symbol = text(SYMBOLS);
      columns.price = float(() => round1(100 + 3 * random.normal()));
      columns.size = float(() => random.int(1, 500));
      columns.exchange = Int32Array.from({ length: n }, () => random.int(1, 20));
      columns.conditions = Array.from({ length: n }, () => Int32Array.of(random.int(0, 40)));
      columns.trade_id = Array.from({ length: n }, (_, i) => `t${i}`);
      break;
    case "quotes": {
      columns.symbol = text(SYMBOLS);
      const bid = float(() => round1(100 + 3 * random.normal()));
      columns.bid_price = bid;
      columns.ask_price = bid.map((b) => round1(b + 0.1 * random.int(1, 5)));
      columns.bid_size = float(() => random.int(1, 9) * 100);
      columns.ask_size = float(() => random.int(1, 9) * 100);
      columns.bid_exchange = Int32Array.from({ length: n }, () => random.int(1, 20));
      columns.ask_exchange = Int32Array.from({ length: n }, () => random.int(1, 20));
      break;
    }
  }
  return { agent, stream: kind, firstSeq: 1n, lastSeq: BigInt(n), rowCount: n, columns };
}

/** The rows of `stream` with seq in [first, last] (1-based, inclusive) as one batch. */
export function sliceBatch(stream: StreamRows, first: number, last: number): Batch {
  const columns: Record<string, ColumnValues> = {};
  for (const [name, values] of Object.entries(stream.columns)) {
    columns[name] = values.slice(first - 1, last) as ColumnValues;
  }
  return {
    agent: stream.agent,
    stream: stream.stream,
    firstSeq: BigInt(first),
    lastSeq: BigInt(last),
    rowCount: last - first + 1,
    columns,
  };
}

/** Options of {@linkcode deliverySchedule}. */
export interface ScheduleOptions {
  seed: number;
  /** Share of original batches held back to the end. @default 0.15 */
  lateShare?: number;
  /** Share of batches sent a second time. @default 0.2 */
  duplicateShare?: number;
  /** Share of batch pairs also sent re-batched as one overlapping batch. @default 0.15 */
  rebatchShare?: number;
}

/** The batches in arrival order: `onTime` shuffled, then `late` shuffled. */
export interface Schedule {
  onTime: Batch[];
  late: Batch[];
}

/**
 * Cuts every stream into batches of `feed.batchRows` and mixes them up:
 * shuffled across streams, some sent twice, some pairs re-sent as one batch
 * spanning both (stored only in part), and a share held back to arrive last.
 */
export function deliverySchedule(feed: Feed, options: ScheduleOptions): Schedule {
  const random = createRandom(options.seed);
  const lateShare = options.lateShare ?? 0.15;
  const duplicateShare = options.duplicateShare ?? 0.2;
  const rebatchShare = options.rebatchShare ?? 0.15;
  const onTime: Batch[] = [];
  const late: Batch[] = [];
  for (const stream of feed.streams) {
    const size = feed.batchRows;
    for (let first = 1; first <= stream.rowCount; first += size) {
      const last = Math.min(stream.rowCount, first + size - 1);
      const batch = sliceBatch(stream, first, last);
      (random.next() < lateShare ? late : onTime).push(batch);
      if (random.next() < duplicateShare) {
        (random.next() < 0.5 ? late : onTime).push(batch);
      }
      if (random.next() < rebatchShare && last + size <= stream.rowCount) {
        // Re-batched after an agent crash: overlaps this batch and the next.
        const from = first + Math.floor(size / 2);
        (random.next() < 0.5 ? late : onTime).push(sliceBatch(stream, from, from + size));
      }
    }
  }
  shuffle(random, onTime);
  shuffle(random, late);
  return { onTime, late };
}

function shuffle<T>(random: Random, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
