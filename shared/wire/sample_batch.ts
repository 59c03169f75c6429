/**
 * Realistic-looking batches for tests, benchmarks and size reports, generated
 * from a seed so every run sees the same bytes.
 *
 * @module
 */
import { createRandom, type Random } from "../prng.ts";
import { type Batch, type Columns, type Kind, LOG_LEVELS } from "../records.ts";

/** Options of {@linkcode sampleBatch}. */
export interface SampleBatchOptions {
  /** Rows in the batch. @default 1000 */
  rows?: number;
  /** PRNG seed. @default 1 */
  seed?: number;
  /** Agent id. @default "edge-0001" */
  agent?: string;
  /** Sequence number of the first row. @default 1n */
  firstSeq?: bigint;
  /** Event time of the first row, ns since the epoch. @default 2025-01-01T00:00:00Z */
  startNs?: bigint;
}

const SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AMD", "INTC", "SPY"];
const METRICS = [
  { metric: "temperature", unit: "degC", base: 21, spread: 4, digits: 2 },
  { metric: "humidity", unit: "%", base: 45, spread: 10, digits: 1 },
  { metric: "pressure", unit: "hPa", base: 1013, spread: 8, digits: 1 },
  { metric: "voltage", unit: "V", base: 230, spread: 3, digits: 2 },
  { metric: "co2", unit: "ppm", base: 600, spread: 150, digits: 0 },
] as const;
const SOURCES = ["/var/log/app/server.log", "nginx", "sshd", "kernel", "worker"];
const MESSAGES = [
  (r: Random) => `GET /api/v1/items/${r.int(1, 99999)} 200 ${r.int(1, 900)}ms`,
  (r: Random) => `POST /api/v1/orders 201 ${r.int(5, 400)}ms`,
  (r: Random) =>
    `connection from 10.0.${r.int(0, 255)}.${r.int(1, 254)} port ${r.int(1024, 65535)}`,
  (r: Random) => `job ${r.int(1, 5000)} finished in ${(r.next() * 10).toFixed(3)}s`,
  (r: Random) => `cache miss for key user:${r.int(1, 100000)}`,
  (_r: Random) => "health check ok",
];
const START_NS = 1_735_689_600_000_000_000n;

/**
 * A batch of `rows` rows of `kind` whose values look like real telemetry:
 * a few dozen sensors with smooth readings, templated log lines, and a
 * random walk of prices. Sequence numbers are contiguous from `firstSeq`.
 *
 * @example
 * ```ts
 * const batch = sampleBatch("readings", { rows: 10_000, seed: 7 });
 * ```
 */
export function sampleBatch(kind: Kind, options: SampleBatchOptions = {}): Batch {
  const rows = options.rows ?? 1000;
  const random = createRandom(options.seed ?? 1);
  const firstSeq = options.firstSeq ?? 1n;
  const start = options.startNs ?? START_NS;
  const seq = new BigInt64Array(rows);
  const ts = new BigInt64Array(rows);
  const recvTs = new BigInt64Array(rows);
  let now = start;
  for (let i = 0; i < rows; i++) {
    seq[i] = firstSeq + BigInt(i);
    now += BigInt(random.int(1_000_000, 50_000_000)); // 1 to 50 ms apart
    ts[i] = now;
    recvTs[i] = now + BigInt(random.int(50_000, 3_000_000)); // 0.05 to 3 ms later
  }
  const columns: Columns = { seq, ts, recv_ts: recvTs, ...KIND_COLUMNS[kind](rows, random) };
  return {
    agent: options.agent ?? "edge-0001",
    stream: kind,
    firstSeq,
    lastSeq: firstSeq + BigInt(rows - 1),
    rowCount: rows,
    columns,
  };
}

const KIND_COLUMNS: Readonly<Record<Kind, (rows: number, random: Random) => Columns>> = {
  readings: (rows, random) => {
    const sensors = Array.from({ length: 40 }, (_, i) => ({
      id: `sensor-${String(i + 1).padStart(3, "0")}`,
      kind: METRICS[i % METRICS.length]!,
      tags: JSON.stringify({ site: `plant-${(i % 4) + 1}`, line: `L${(i % 3) + 1}` }),
      level: 0,
    }));
    const sensor: string[] = [], metric: string[] = [], unit: string[] = [], tags: string[] = [];
    const value = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const s = random.pick(sensors);
      s.level = 0.95 * s.level + 0.3 * random.normal();
      const scale = 10 ** s.kind.digits;
      value[i] = Math.round((s.kind.base + s.kind.spread * Math.tanh(s.level)) * scale) / scale;
      sensor.push(s.id);
      metric.push(s.kind.metric);
      unit.push(s.kind.unit);
      tags.push(s.tags);
    }
    return { sensor, metric, value, unit, tags };
  },
  logs: (rows, random) => {
    const source: string[] = [], level: string[] = [], message: string[] = [];
    const fields: string[] = [];
    for (let i = 0; i < rows; i++) {
      source.push(random.pick(SOURCES));
      level.push(LOG_LEVELS[random.weighted([1, 5, 60, 10, 4, 0.1])]!);
      message.push(random.pick(MESSAGES)(random));
      fields.push(
        random.next() < 0.5
          ? "{}"
          : JSON.stringify({ pid: random.int(100, 40000), req: random.int(1, 1e9).toString(36) }),
      );
    }
    return { source, level, message, fields };
  },
  trades: (rows, random) => {
    const prices = SYMBOLS.map(() => 20 + random.next() * 480);
    const symbol: string[] = [], conditions: Int32Array[] = [], tradeId: string[] = [];
    const price = new Float64Array(rows), size = new Float64Array(rows);
    const exchange = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      const k = random.int(0, SYMBOLS.length - 1);
      prices[k] = Math.max(1, prices[k]! * (1 + 0.0005 * random.normal()));
      symbol.push(SYMBOLS[k]!);
      price[i] = Math.round(prices[k]! * 100) / 100;
      size[i] = random.next() < 0.7 ? 100 * random.int(1, 10) : random.int(1, 99);
      exchange[i] = random.pick([1, 4, 7, 8, 10, 11, 12, 15, 19]);
      const count = random.weighted([50, 35, 12, 3]);
      conditions.push(Int32Array.from({ length: count }, () => random.pick([12, 14, 37, 41])));
      tradeId.push(String(random.int(1, 2 ** 31)));
    }
    return { symbol, price, size, exchange, conditions, trade_id: tradeId };
  },
  quotes: (rows, random) => {
    const mids = SYMBOLS.map(() => 20 + random.next() * 480);
    const symbol: string[] = [];
    const bidPrice = new Float64Array(rows), bidSize = new Float64Array(rows);
    const askPrice = new Float64Array(rows), askSize = new Float64Array(rows);
    const bidExchange = new Int32Array(rows), askExchange = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      const k = random.int(0, SYMBOLS.length - 1);
      mids[k] = Math.max(1, mids[k]! * (1 + 0.0002 * random.normal()));
      const spread = random.int(1, 5) / 100;
      symbol.push(SYMBOLS[k]!);
      bidPrice[i] = Math.round((mids[k]! - spread / 2) * 100) / 100;
      askPrice[i] = Math.round((mids[k]! + spread / 2) * 100) / 100;
      bidSize[i] = 100 * random.int(1, 20);
      askSize[i] = 100 * random.int(1, 20);
      bidExchange[i] = random.pick([1, 4, 7, 8, 10, 11, 12, 15, 19]);
      askExchange[i] = random.pick([1, 4, 7, 8, 10, 11, 12, 15, 19]);
    }
    return {
      symbol,
      bid_price: bidPrice,
      bid_size: bidSize,
      ask_price: askPrice,
      ask_size: askSize,
      bid_exchange: bidExchange,
      ask_exchange: askExchange,
    };
  },
};
