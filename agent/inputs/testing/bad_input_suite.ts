/**
 * The bad-input suite every input runs: the same hostile records (malformed
 * lines, binary junk, huge records and bodies, invalid UTF-8, UTF-16,
 * clock-skewed timestamps) are fed to each input through a small adapter, and
 * each case checks the same three things:
 *
 * 1. the bad records are rejected and counted with a reason
 *    (`ctx.rejected(reason)`, so `tributary_agent_input_rejected_total`),
 * 2. the good records delivered around them (same body, same file, next
 *    message) are written exactly once,
 * 3. the input is still up: every case ends with a good record that must
 *    arrive, so a crashed or wedged input fails the next case.
 *
 * Each record carries a *marker*: a positive integer the adapter embeds in a
 * good record and reads back from the written rows (e.g. as the value, or in
 * the sensor name or message). Bad records derived from a good one (invalid
 * UTF-8, UTF-16, huge, skewed) carry a marker too, which must never appear.
 *
 * @example
 * ```ts
 * Deno.test("http input passes the bad-input suite", async (t) => {
 *   const adapter = await startHttpAdapter(); // feeds bodies with fetch
 *   try {
 *     await runBadInputSuite(t, adapter);
 *   } finally {
 *     await adapter.close();
 *   }
 * });
 * ```
 *
 * @module
 */
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { createRandom } from "@tributary/shared/prng";
import { nowNs } from "@tributary/shared/records";

/** How the suite talks to one input. */
export interface BadInputAdapter {
  /**
   * A valid record of this input as raw bytes, without framing (no trailing
   * newline), carrying `marker` and the event time `tsNs` (ns since the epoch;
   * format it at the precision the input's format has).
   */
  goodRecord(marker: number, tsNs: bigint): Uint8Array;
  /**
   * Delivers `records` as the source would deliver them in one go: one HTTP
   * body joined by newlines, one MQTT message each, lines appended to a file,
   * one datagram each, ... Resolves once delivered (the suite then waits for
   * the rows); it must not throw because the input refused some records (an
   * HTTP 400 or 413 is an expected answer here).
   */
  deliver(records: readonly Uint8Array[]): Promise<void>;
  /** Markers of every row written so far, in any order (duplicates kept). */
  writtenMarkers(): number[] | Promise<number[]>;
  /** Rejected record counts by reason so far (cumulative). */
  rejections(): ReadonlyMap<string, number> | Promise<ReadonlyMap<string, number>>;
  /**
   * Records that are malformed in this input's format (e.g. a line-protocol
   * line without fields). Empty when the format accepts any text (the step is
   * then reported as ignored, not passed).
   */
  malformedRecords: readonly Uint8Array[];
  /** The largest record (line, message) the input accepts, in bytes. */
  maxRecordBytes: number;
  /**
   * The largest unit (body) the input accepts, when units hold several
   * records (HTTP bodies). Absent when each record is its own unit.
   */
  maxUnitBytes?: number;
  /**
   * The skew window the input was configured with, in seconds; absent when
   * records carry no timestamp of their own (the clock-skew step is then
   * reported as ignored).
   */
  skew?: { maxFutureS: number; maxPastS: number };
  /** Expected rejection reasons per case, checked when given. */
  reasons?: Partial<Record<Exclude<BadInputCaseName, "clock skew">, string>>;
  /** How long to wait for rows and rejections of one delivery. @default 15_000 */
  timeoutMs?: number;
}

/** The names of the suite's cases, as shown in test steps. */
export type BadInputCaseName =
  | "malformed records"
  | "binary junk"
  | "huge record"
  | "huge body"
  | "invalid UTF-8"
  | "UTF-16 text"
  | "clock skew";

/** One case of the suite. */
export interface BadInputCase {
  readonly name: BadInputCaseName;
  /** Why the case does not apply to `adapter`, or undefined when it does. */
  notApplicable(adapter: BadInputAdapter): string | undefined;
  /** Runs the case; throws an assertion error when the input misbehaves. */
  run(adapter: BadInputAdapter, markers: MarkerSource): Promise<void>;
}

/** Hands out markers no earlier case used, so cases can share one input. */
export interface MarkerSource {
  next(): number;
}

/** A marker source starting at `first`. @default first 1 */
export function markerSource(first = 1): MarkerSource {
  let marker = first;
  return { next: () => marker++ };
}

const encoder = new TextEncoder();

/** One delivery: records in order, which markers must and must not arrive. */
interface Delivery {
  records: Uint8Array[];
  good: number[];
  bad: number[];
  /** How many records should be counted as rejected (at least). */
  rejectedAtLeast: number;
  /** The reason they must be counted under, when the suite knows it. */
  reason?: string;
}

/** A good record before and after `middle`, as one delivery. */
function sandwich(
  adapter: BadInputAdapter,
  markers: MarkerSource,
  middle: { records: Uint8Array[]; bad?: number[]; reason?: string },
): Delivery {
  const before = markers.next();
  const after = markers.next();
  const now = nowNs();
  return {
    records: [
      adapter.goodRecord(before, now),
      ...middle.records,
      adapter.goodRecord(after, now),
    ],
    good: [before, after],
    bad: middle.bad ?? [],
    rejectedAtLeast: middle.records.length,
    reason: middle.reason,
  };
}

function sumCounts(map: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const count of map.values()) total += count;
  return total;
}

function describeRejections(map: ReadonlyMap<string, number>): string {
  return JSON.stringify(Object.fromEntries(map));
}

/**
 * Delivers `delivery`, waits until its good markers are written and its bad
 * records counted, then checks that no bad marker arrived and no good one
 * arrived twice.
 */
async function deliverAndCheck(adapter: BadInputAdapter, delivery: Delivery): Promise<void> {
  const timeoutMs = adapter.timeoutMs ?? 15_000;
  const rejectionsBefore = new Map(await adapter.rejections());
  const countBefore = (reason?: string) =>
    reason === undefined ? sumCounts(rejectionsBefore) : rejectionsBefore.get(reason) ?? 0;
  const countNow = (map: ReadonlyMap<string, number>, reason?: string) =>
    reason === undefined ? sumCounts(map) : map.get(reason) ?? 0;

  await adapter.deliver(delivery.records);

  const deadline = Date.now() + timeoutMs;
  let written: number[] = [];
  let rejections: ReadonlyMap<string, number> = rejectionsBefore;
  while (true) {
    written = await adapter.writtenMarkers();
    rejections = await adapter.rejections();
    const allGood = delivery.good.every((m) => written.includes(m));
    const counted = countNow(rejections, delivery.reason) - countBefore(delivery.reason) >=
      delivery.rejectedAtLeast;
    if (allGood && counted) break;
    if (Date.now() > deadline) {
      const missing = delivery.good.filter((m) => !written.includes(m));
      throw new Error(
        `within ${timeoutMs} ms: good markers missing ${JSON.stringify(missing)}; ` +
          `rejections before ${describeRejections(rejectionsBefore)}, now ${
            describeRejections(rejections)
          }, expected at least ${delivery.rejectedAtLeast} more` +
          (delivery.reason ? ` under reason "${delivery.reason}"` : ""),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const marker of delivery.good) {
    assertEquals(
      written.filter((m) => m === marker).length,
      1,
      `good marker ${marker} must be written exactly once`,
    );
  }
  for (const marker of delivery.bad) {
    assert(!written.includes(marker), `bad marker ${marker} must not be written`);
  }
  for (const [reason, count] of rejections) {
    assert(/^[a-z][a-z0-9_]*$/.test(reason), `rejection reason ${JSON.stringify(reason)}`);
    assert(Number.isInteger(count) && count >= 0, `rejection count ${count} for ${reason}`);
  }
}

/** Deterministic junk: every byte value except `\n` and `\r`, NUL and 0xFF included. */
export function binaryJunk(length: number, seed = 7): Uint8Array {
  const random = createRandom(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    let b = random.int(0, 255);
    while (b === 0x0a || b === 0x0d) b = random.int(0, 255);
    bytes[i] = b;
  }
  // Make sure the worst bytes are there whatever the seed.
  bytes[0] = 0x00;
  bytes[Math.floor(length / 2)] = 0xff;
  return bytes;
}

/**
 * `record` with invalid UTF-8 in its middle: an overlong lead byte (0xC0), a
 * byte never valid (0xFF) and a truncated two-byte sequence (0xC3).
 */
export function withInvalidUtf8(record: Uint8Array): Uint8Array {
  const middle = Math.floor(record.length / 2);
  const out = new Uint8Array(record.length + 3);
  out.set(record.subarray(0, middle), 0);
  out.set([0xc0, 0xff, 0xc3], middle);
  out.set(record.subarray(middle), middle + 3);
  return out;
}

/** `record` (as UTF-8 text) re-encoded as UTF-16LE with a byte order mark. */
export function asUtf16le(record: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(record);
  const out = new Uint8Array(2 + text.length * 2);
  out[0] = 0xff;
  out[1] = 0xfe;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out[2 + i * 2] = unit & 0xff;
    out[3 + i * 2] = unit >> 8;
  }
  return out;
}

/** `record` followed by spaces and `x`s up to `length` bytes. */
export function padded(record: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(Math.max(length, record.length + 2));
  out.fill(0x78); // "x"
  out.set(record, 0);
  out[record.length] = 0x20;
  return out;
}

const NS_PER_S = 1_000_000_000n;

/**
 * A good record made unreadable by `damage` (its marker must never arrive),
 * between two good ones.
 */
function wrongEncodingCase(
  name: "invalid UTF-8" | "UTF-16 text",
  damage: (record: Uint8Array) => Uint8Array,
): BadInputCase {
  return {
    name,
    notApplicable: () => undefined,
    async run(adapter, markers) {
      const marker = markers.next();
      await deliverAndCheck(
        adapter,
        sandwich(adapter, markers, {
          records: [damage(adapter.goodRecord(marker, nowNs()))],
          bad: [marker],
          reason: adapter.reasons?.[name],
        }),
      );
    },
  };
}

/** Every case, in the order the suite runs them. */
export const BAD_INPUT_CASES: readonly BadInputCase[] = [
  {
    name: "malformed records",
    notApplicable: (a) =>
      a.malformedRecords.length === 0 ? "the input accepts any text" : undefined,
    async run(adapter, markers) {
      // Each malformed record between two good ones, then all of them together.
      for (const record of adapter.malformedRecords) {
        await deliverAndCheck(
          adapter,
          sandwich(adapter, markers, {
            records: [record],
            reason: adapter.reasons?.["malformed records"],
          }),
        );
      }
      await deliverAndCheck(
        adapter,
        sandwich(adapter, markers, {
          records: [...adapter.malformedRecords],
          reason: adapter.reasons?.["malformed records"],
        }),
      );
    },
  },
  {
    name: "binary junk",
    notApplicable: () => undefined,
    async run(adapter, markers) {
      const junk = binaryJunk(Math.min(512, adapter.maxRecordBytes));
      await deliverAndCheck(
        adapter,
        sandwich(adapter, markers, { records: [junk], reason: adapter.reasons?.["binary junk"] }),
      );
    },
  },
  {
    name: "huge record",
    notApplicable: () => undefined,
    async run(adapter, markers) {
      const marker = markers.next();
      const huge = padded(adapter.goodRecord(marker, nowNs()), adapter.maxRecordBytes + 1024);
      await deliverAndCheck(
        adapter,
        sandwich(adapter, markers, {
          records: [huge],
          bad: [marker],
          reason: adapter.reasons?.["huge record"],
        }),
      );
    },
  },
  {
    name: "huge body",
    notApplicable: (a) => a.maxUnitBytes === undefined ? "each record is its own unit" : undefined,
    async run(adapter, markers) {
      const limit = adapter.maxUnitBytes ?? 0;
      // Many good records whose body exceeds the unit limit: refused as a whole
      // (the client is told, e.g. HTTP 413), so none of them may be written.
      const now = nowNs();
      const records: Uint8Array[] = [];
      const bad: number[] = [];
      let size = 0;
      while (size <= limit + 1024) {
        const marker = markers.next();
        const record = adapter.goodRecord(marker, now);
        records.push(record);
        bad.push(marker);
        size += record.length + 1;
      }
      await deliverAndCheck(adapter, {
        records,
        good: [],
        bad,
        rejectedAtLeast: 1,
        reason: adapter.reasons?.["huge body"],
      });
      // The next, normal unit is taken.
      await deliverAndCheck(adapter, sandwich(adapter, markers, { records: [] }));
    },
  },
  wrongEncodingCase("invalid UTF-8", withInvalidUtf8),
  wrongEncodingCase("UTF-16 text", asUtf16le),
  {
    name: "clock skew",
    notApplicable: (a) => a.skew === undefined ? "records carry no timestamp" : undefined,
    async run(adapter, markers) {
      const { maxFutureS, maxPastS } = adapter.skew!;
      const now = nowNs();
      const future = markers.next();
      const past = markers.next();
      // An hour beyond each edge of the window: clearly skewed whatever the
      // format's precision and however long the delivery takes.
      await deliverAndCheck(
        adapter,
        sandwich(adapter, markers, {
          records: [
            adapter.goodRecord(future, now + BigInt(maxFutureS + 3600) * NS_PER_S),
            adapter.goodRecord(past, now - BigInt(maxPastS + 3600) * NS_PER_S),
          ],
          bad: [future, past],
          reason: "clock_skew",
        }),
      );
      // Inside the window (half-way to each edge) is not skew.
      const nearFuture = markers.next();
      const nearPast = markers.next();
      await deliverAndCheck(adapter, {
        records: [
          adapter.goodRecord(nearFuture, now + BigInt(Math.floor(maxFutureS / 2)) * NS_PER_S),
          adapter.goodRecord(nearPast, now - BigInt(Math.floor(maxPastS / 2)) * NS_PER_S),
        ],
        good: [nearFuture, nearPast],
        bad: [],
        rejectedAtLeast: 0,
      });
    },
  },
];

/**
 * Runs every case of the suite against one input as steps of test `t`.
 * Cases that do not apply to the adapter are reported as ignored.
 * The input is shared by all steps; markers never repeat.
 */
export async function runBadInputSuite(
  t: Deno.TestContext,
  adapter: BadInputAdapter,
): Promise<void> {
  const markers = markerSource();
  for (const testCase of BAD_INPUT_CASES) {
    const reason = testCase.notApplicable(adapter);
    await t.step({
      name: reason === undefined ? testCase.name : `${testCase.name} (${reason})`,
      ignore: reason !== undefined,
      fn: () => testCase.run(adapter, markers),
    });
  }
}

/**
 * `records` each followed by a newline, as one body (an HTTP request, a file
 * appended to): a convenience for adapters' `deliver`. `prefix` (e.g. a CSV
 * header line, with its newline) goes first.
 */
export function joinLines(
  records: readonly Uint8Array[],
  prefix: Uint8Array = new Uint8Array(0),
): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(records.reduce((n, r) => n + r.length + 1, prefix.length));
  body.set(prefix, 0);
  let offset = prefix.length;
  for (const r of records) {
    body.set(r, offset);
    body[offset + r.length] = 0x0a;
    offset += r.length + 1;
  }
  return body;
}

/** `text` as UTF-8 bytes: a convenience for adapters' `goodRecord` and `malformedRecords`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
