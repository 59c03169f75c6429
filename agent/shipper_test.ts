import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import { type LogLine, nowNs, type Reading } from "@tributary/shared/records";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { decodeBatch } from "@tributary/shared/wire";
import { AgentBuffer } from "./buffer/mod.ts";
import { Shipper, type ShipperOptions } from "./shipper.ts";
import { BatchRejectedError, type OutgoingBatch } from "./transports/transport.ts";

const quiet = createLogger({ sink: () => {} });

function readings(count: number, from = 0): Reading[] {
  const ts = nowNs();
  return Array.from({ length: count }, (_, i) => ({
    ts,
    recv_ts: ts,
    sensor: `s${from + i}`,
    metric: "temperature",
    value: from + i,
    unit: "degC",
    tags: "{}",
  }));
}

/** An in-memory transport whose outcome each test programs. */
class FakeTransport {
  readonly sent: OutgoingBatch[] = [];
  readonly held: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Errors for the next sends, in order. */
  failures: Error[] = [];
  hold = false;
  refuse: (m: OutgoingBatch) => Error | undefined = () => undefined;

  outstanding = 0;
  maxOutstanding = 0;

  send(message: OutgoingBatch): Promise<void> {
    this.sent.push(message);
    const refused = this.refuse(message) ?? this.failures.shift();
    if (refused) return Promise.reject(refused);
    if (!this.hold) return Promise.resolve();
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    return new Promise((resolve, reject) => {
      this.held.push({
        resolve: () => {
          this.outstanding--;
          resolve();
        },
        reject: (e) => {
          this.outstanding--;
          reject(e);
        },
      });
    });
  }

  releaseAll(): void {
    this.hold = false;
    for (const h of this.held.splice(0)) h.resolve();
  }
}

const ranges = (t: FakeTransport) => t.sent.map((m) => [m.firstSeq, m.lastSeq, m.rowCount]);

async function until(condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function setup(
  transport: FakeTransport,
  options: Partial<ShipperOptions> = {},
  buffer?: AgentBuffer,
) {
  const buf = buffer ?? await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  const shipper = new Shipper({
    buffer: buf,
    transport,
    log: quiet,
    maxBatchRows: 5,
    lingerMs: 0,
    inFlight: 4,
    retryInitialMs: 1,
    retryMaxMs: 5,
    idlePollMs: 20,
    drainTimeoutMs: 500,
    ...options,
  });
  return { buffer: buf, shipper };
}

const backlog = async (b: AgentBuffer) => (await b.stats()).readings.backlog_rows;

Deno.test("Shipper sends every stream oldest first in encoded batches and retires them", async () => {
  const transport = new FakeTransport();
  const { buffer, shipper } = await setup(transport);
  try {
    await buffer.append("readings", readings(12));
    await shipper.start();
    await until(async () => (await backlog(buffer)) === 0);
    assertEquals(ranges(transport), [[1n, 5n, 5], [6n, 10n, 5], [11n, 12n, 2]]);
    const values = transport.sent.flatMap((m) => {
      const { envelope, batch } = decodeBatch(m.bytes);
      assertEquals([envelope.agent, envelope.stream, envelope.codec], [
        "edge-1",
        "readings",
        "zstd",
      ]);
      return Array.from(batch.columns.value as Float64Array);
    });
    assertEquals(values, Array.from({ length: 12 }, (_, i) => i));
    const c = shipper.counters().readings;
    assertEquals([c.rows_sent, c.batches_sent], [12, 3]);
    assertEquals(c.bytes_sent, transport.sent.reduce((n, m) => n + m.bytes.byteLength, 0));
    assertEquals((await buffer.stats()).readings.acked_rows, 12);
    assertEquals(await buffer.pendingRanges("readings"), []);
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper retires rows only after the transport confirms", async () => {
  const transport = new FakeTransport();
  transport.hold = true;
  const { buffer, shipper } = await setup(transport, { maxBatchRows: 100 });
  try {
    await buffer.append("readings", readings(3));
    await shipper.start();
    shipper.wake("readings");
    await until(() => transport.sent.length === 1);
    await new Promise((r) => setTimeout(r, 30));
    assertEquals(await backlog(buffer), 3);
    transport.releaseAll();
    await until(async () => (await backlog(buffer)) === 0);
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper keeps at most inFlight batches per stream outstanding", async () => {
  const transport = new FakeTransport();
  transport.hold = true;
  const { buffer, shipper } = await setup(transport, { inFlight: 2 });
  try {
    await buffer.append("readings", readings(50));
    await shipper.start();
    await until(() => transport.sent.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    assertEquals(transport.sent.length, 2);
    transport.held.shift()!.resolve();
    await until(() => transport.sent.length === 3);
    transport.releaseAll();
    await until(async () => (await backlog(buffer)) === 0);
    assertEquals(transport.maxOutstanding, 2);
    assertEquals(ranges(transport).map((r) => r[0]), [
      1n,
      6n,
      11n,
      16n,
      21n,
      26n,
      31n,
      36n,
      41n,
      46n,
    ]);
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper resends a failed batch with the same bounds, before newer rows", async () => {
  const transport = new FakeTransport();
  transport.failures = [new RetryableError("disconnected", "broker away")];
  const { buffer, shipper } = await setup(transport, { inFlight: 1, maxBatchRows: 5 });
  try {
    await buffer.append("readings", readings(3));
    await shipper.start();
    await until(() => transport.sent.length >= 1);
    await buffer.append("readings", readings(4, 3));
    shipper.wake("readings");
    await until(async () => (await backlog(buffer)) === 0);
    assertEquals(ranges(transport), [[1n, 3n, 3], [1n, 3n, 3], [4n, 7n, 4]]);
    assertEquals(shipper.counters().readings.failures, { disconnected: 1 });
    assertEquals(shipper.counters().readings.rows_sent, 7);
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper keeps a batch queued for resending when reading it again fails", async () => {
  // A buffer read failing (e.g. DuckDB out of memory) while a failed batch is
  // read for its resend must not drop the batch from the queue: the stream's
  // cursor is past it, so nothing else would ever send it before a restart.
  const transport = new FakeTransport();
  transport.failures = [new RetryableError("disconnected", "broker away")];
  const real = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  let failedRereads = 0;
  const flaky: ShipperOptions["buffer"] = {
    readBatch: (kind, afterSeq, maxRows, options) => {
      if (options?.throughSeq !== undefined && failedRereads === 0) {
        failedRereads++;
        return Promise.reject(new RetryableError("buffer_read", "out of memory"));
      }
      return real.readBatch(kind, afterSeq, maxRows, options);
    },
    markPending: (kind, range) => real.markPending(kind, range),
    replacePending: (kind, range, parts) => real.replacePending(kind, range, parts),
    pendingRanges: (kind) => real.pendingRanges(kind),
    retire: (kind, first, last, options) => real.retire(kind, first, last, options),
  };
  const shipper = new Shipper({
    buffer: flaky,
    transport,
    log: quiet,
    streams: ["readings"],
    maxBatchRows: 5,
    lingerMs: 0,
    inFlight: 1,
    retryInitialMs: 1,
    retryMaxMs: 5,
    idlePollMs: 20,
  });
  try {
    await real.append("readings", readings(8));
    await shipper.start();
    await until(async () => (await backlog(real)) === 0);
    assertEquals(failedRereads, 1);
    assertEquals(ranges(transport), [[1n, 5n, 5], [1n, 5n, 5], [6n, 8n, 3]]);
    assertEquals(shipper.counters().readings.failures, { disconnected: 1, buffer_read: 1 });
  } finally {
    await shipper.stop();
    await real.close();
  }
});

Deno.test("Shipper resends batches pending before a restart with their old bounds", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/buffer.duckdb`;
  try {
    const first = new FakeTransport();
    first.hold = true;
    const a = await setup(first, {}, await AgentBuffer.open({ path, agent: "edge-1" }));
    await a.buffer.append("readings", readings(8));
    await a.shipper.start();
    await until(() => first.sent.length === 2);
    first.held[1]!.resolve(); // [6..8] confirmed, [1..5] never
    await until(async () => (await backlog(a.buffer)) === 5);
    await a.shipper.stop(); // gives up on [1..5] after the drain timeout
    first.held[0]!.reject(new RetryableError("stopped", "stopped"));
    await a.buffer.close();

    const second = new FakeTransport();
    const b = await setup(
      second,
      { maxBatchRows: 100 },
      await AgentBuffer.open({ path, agent: "edge-1" }),
    );
    try {
      await b.buffer.append("readings", readings(2, 8));
      await b.shipper.start();
      await until(async () => (await backlog(b.buffer)) === 0);
      assertEquals(ranges(second), [[1n, 5n, 5], [9n, 10n, 2]]);
    } finally {
      await b.shipper.stop();
      await b.buffer.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Shipper splits a batch the transport refuses and drops a row that never fits", async () => {
  const transport = new FakeTransport();
  transport.refuse = (m) =>
    m.rowCount > 2 || (m.firstSeq <= 3n && m.lastSeq >= 3n)
      ? new PermanentError("too_large", "too large")
      : undefined;
  const { buffer, shipper } = await setup(transport, { maxBatchRows: 8, inFlight: 1 });
  try {
    await buffer.append("readings", readings(8));
    await shipper.start();
    await until(async () => (await backlog(buffer)) === 0);
    const accepted = transport.sent.filter((m) => transport.refuse(m) === undefined);
    const seqs = accepted.flatMap((m) =>
      Array.from(decodeBatch(m.bytes).batch.columns.seq as BigInt64Array)
    );
    assertEquals(seqs, [1n, 2n, 4n, 5n, 6n, 7n, 8n]);
    const c = shipper.counters().readings;
    assertEquals(c.rows_dropped, { too_large: 1 });
    assertEquals((await buffer.stats()).readings.dropped, { too_large: 1 });
    assertEquals(c.rows_sent, 7);
    assertEquals((await buffer.stats()).readings.acked_rows, 7);
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper drops a batch the hub rejected whole, counting its rows by reason", async () => {
  const transport = new FakeTransport();
  transport.refuse = (m) =>
    m.firstSeq === 1n ? new BatchRejectedError("schema_mismatch", "hub rejected") : undefined;
  const { buffer, shipper } = await setup(transport, { maxBatchRows: 4, inFlight: 1 });
  try {
    await buffer.append("readings", readings(8));
    await shipper.start();
    await until(async () => (await backlog(buffer)) === 0);
    // Neither split nor resent: one attempt for 1..4, then 5..8.
    assertEquals(ranges(transport), [[1n, 4n, 4], [5n, 8n, 4]]);
    const c = shipper.counters().readings;
    assertEquals(c.rows_dropped, { schema_mismatch: 4 });
    assertEquals(c.failures, { schema_mismatch: 1 });
    assertEquals(c.rows_sent, 4);
    // The buffer keeps the drop (stream_drops), so status and /metrics show it after a restart.
    assertEquals((await buffer.stats()).readings.dropped, { schema_mismatch: 4 });
    assertEquals((await buffer.stats()).readings.acked_rows, 4);
    assertEquals(await buffer.pendingRanges("readings"), []);
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper lingers to fill a small batch", async () => {
  const transport = new FakeTransport();
  const { buffer, shipper } = await setup(transport, { maxBatchRows: 100, lingerMs: 150 });
  try {
    await shipper.start();
    await buffer.append("readings", readings(3));
    shipper.wake("readings");
    await new Promise((r) => setTimeout(r, 40));
    await buffer.append("readings", readings(3, 3));
    await until(() => transport.sent.length === 1);
    assertEquals(ranges(transport), [[1n, 6n, 6]]);
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper.stop is idempotent and safe before start", async () => {
  const transport = new FakeTransport();
  const { buffer, shipper } = await setup(transport);
  await shipper.stop();
  await shipper.stop();
  await shipper.start();
  await buffer.append("readings", readings(2));
  await new Promise((r) => setTimeout(r, 30));
  assertEquals(transport.sent.length, 0);
  assert(shipper.counters().readings.rows_sent === 0);
  await buffer.close();
});

function logLines(count: number): LogLine[] {
  const ts = nowNs();
  return Array.from({ length: count }, (_, i) => ({
    ts,
    recv_ts: ts,
    source: "app",
    level: "info" as const,
    message: `request ${i} served in ${(i * 7919) % 1000} ms`,
    fields: `{"n":${i}}`,
  }));
}

Deno.test("Shipper with maxBytesPerSec paces all streams together to the cap", async () => {
  const transport = new FakeTransport();
  const times: number[] = [];
  const send = transport.send.bind(transport);
  transport.send = (m) => {
    times.push(performance.now());
    return send(m);
  };
  const rate = 8000;
  const burst = 500;
  const { buffer, shipper } = await setup(transport, { maxBytesPerSec: rate, burstBytes: burst });
  try {
    await buffer.append("readings", readings(60));
    await buffer.append("logs", logLines(60));
    await shipper.start();
    await until(async () => {
      const s = await buffer.stats();
      return s.readings.backlog_rows + s.logs.backlog_rows === 0;
    }, 30_000);
    const sizes = transport.sent.map((m) => m.bytes.byteLength);
    assertEquals(new Set(transport.sent.map((m) => m.stream)), new Set(["readings", "logs"]));
    const total = sizes.reduce((a, b) => a + b, 0);
    const c = shipper.counters();
    assertEquals(c.readings.bytes_sent + c.logs.bytes_sent, total);
    // The bucket lets at most max(burst, largest) + rate × t leave by time t,
    // whatever the machine's load, so the sends must span at least this long
    // (a loaded machine only makes it longer).
    const spanMs = times.at(-1)! - times[0]!;
    const minMs = (total - Math.max(burst, ...sizes)) / rate * 1000;
    assert(total > 4 * burst, `test needs more bytes than the burst; got ${total}`);
    assert(
      spanMs >= minMs - 5,
      `${total} bytes in ${spanMs.toFixed(0)} ms; cap allows ${minMs} ms`,
    );
    // And the cap is not much slower than asked (generous bound for loaded machines).
    assert(spanMs < minMs * 10 + 2000, `${total} bytes took ${spanMs.toFixed(0)} ms`);
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper.stop abandons sends waiting for bandwidth; their batches stay pending", async () => {
  const transport = new FakeTransport();
  // 1 byte/s: after the first message, the next would wait for minutes.
  const { buffer, shipper } = await setup(transport, { maxBytesPerSec: 1, burstBytes: 1 });
  try {
    await buffer.append("readings", readings(10));
    await shipper.start();
    await until(async () =>
      transport.sent.length === 1 &&
      (await buffer.pendingRanges("readings")).some((r) => r.firstSeq === 6n)
    );
    const started = performance.now();
    await shipper.stop();
    assert(performance.now() - started < 400, "stop waited for the bucket");
    assertEquals(ranges(transport), [[1n, 5n, 5]]);
    assertEquals(await buffer.pendingRanges("readings"), [{ firstSeq: 6n, lastSeq: 10n }]);
    assertEquals(await backlog(buffer), 5);
    assertEquals(shipper.counters().readings.failures, {});
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper refuses a negative maxBytesPerSec, naming the value", () => {
  const transport = new FakeTransport();
  let error: unknown;
  try {
    new Shipper({
      buffer: {} as ShipperOptions["buffer"],
      transport,
      log: quiet,
      maxBytesPerSec: -5,
    });
  } catch (e) {
    error = e;
  }
  assert(error instanceof RangeError && error.message.includes("got -5"), String(error));
});

/** A logger keeping each line, parsed. */
function recordingLog() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger({ sink: (line) => lines.push(JSON.parse(line)) }) };
}

const stallWarnings = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => l.msg === "stream has had no rows confirmed for a while");

Deno.test("Shipper warns about a stream whose batches go unconfirmed, then says when it ships again", async () => {
  const transport = new FakeTransport();
  transport.hold = true; // Sent, never confirmed until released.
  const { lines, log } = recordingLog();
  const { buffer, shipper } = await setup(transport, { log, stallWarnMs: 100 });
  try {
    await buffer.append("readings", readings(3));
    await shipper.start();
    await until(() => stallWarnings(lines).length > 0);
    const [warning] = stallWarnings(lines);
    assertEquals(
      [warning!.stream, warning!.doing, warning!.in_flight, warning!.queued_for_resend],
      ["readings", "waiting for confirmations", 1, 0],
    );
    assertEquals(warning!.next_seq, "4"); // Rows 1..3 are in the batch awaiting confirmation.
    assert(typeof warning!.oldest_in_flight_s === "number");
    // Repeated while the stall lasts, when it reaches 2x and 4x stallWarnMs: gaps double.
    await until(() => stallWarnings(lines).length >= 3);
    const at = stallWarnings(lines).map((l) => Date.parse(l.time as string));
    assert(
      at[1]! - at[0]! >= 75 && at[2]! - at[1]! >= 175,
      `warned at ${at.map((t) => t - at[0]!)} ms`,
    );
    transport.releaseAll();
    await until(() => lines.some((l) => l.msg === "stream is shipping again"));
    const warned = stallWarnings(lines).length;
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(stallWarnings(lines).length, warned, "no warning once the rows moved");
    // The other streams had nothing to ship: never stalled.
    assertEquals(stallWarnings(lines).filter((l) => l.stream !== "readings"), []);
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper's stall warning names the last failure of a stream that keeps failing", async () => {
  const transport = new FakeTransport();
  transport.refuse = () => new RetryableError("disconnected", "broker unreachable");
  const { lines, log } = recordingLog();
  const { buffer, shipper } = await setup(transport, { log, stallWarnMs: 100, retryMaxMs: 20 });
  try {
    await buffer.append("readings", readings(3));
    await shipper.start();
    await until(() => stallWarnings(lines).length > 0);
    const [warning] = stallWarnings(lines);
    assertEquals([warning!.stream, warning!.last_failure], ["readings", "disconnected"]);
    assertEquals(await backlog(buffer), 3);
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper with stallWarnMs 0 never warns; a negative one is refused, naming the value", async () => {
  const transport = new FakeTransport();
  transport.hold = true;
  const { lines, log } = recordingLog();
  const { buffer, shipper } = await setup(transport, { log, stallWarnMs: 0 });
  try {
    await buffer.append("readings", readings(3));
    await shipper.start();
    await until(() => transport.sent.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(stallWarnings(lines), []);
    transport.releaseAll();
  } finally {
    await shipper.stop();
    await buffer.close();
  }
  let error: unknown;
  try {
    new Shipper({ buffer, transport, log: quiet, stallWarnMs: -1 });
  } catch (e) {
    error = e;
  }
  assert(error instanceof RangeError && error.message.includes("got -1"), String(error));
});

Deno.test("Shipper warns once per failure streak; repeats of the same reason go to debug", async () => {
  const transport = new FakeTransport();
  let failing = true;
  transport.refuse = () =>
    failing ? new RetryableError("disconnected", "broker unreachable") : undefined;
  const { lines, log } = recordingLog(); // Level info: debug lines are not kept.
  const { buffer, shipper } = await setup(transport, { log, retryMaxMs: 5 });
  const sendWarnings = () => lines.filter((l) => l.msg === "send failed; will retry");
  try {
    await buffer.append("readings", readings(3));
    await shipper.start();
    await until(() => transport.sent.length >= 5);
    assertEquals(sendWarnings().length, 1, "one warning for five failed sends");
    failing = false;
    await until(async () => (await backlog(buffer)) === 0);
    // Rows moved: the next failure starts a new streak and warns again.
    failing = true;
    await buffer.append("readings", readings(2));
    shipper.wake("readings");
    await until(() => sendWarnings().length === 2);
    assertEquals(shipper.counters().readings.failures.disconnected! >= 6, true);
  } finally {
    await shipper.stop();
    await buffer.close();
  }
});

Deno.test("Shipper does not take a failed stream for idle when the failure lands during a read that finds no rows", async () => {
  const transport = new FakeTransport();
  transport.hold = true; // The first send waits; the test fails it at the worst moment.
  const { lines, log } = recordingLog();
  const real = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  let failDuringRead = true;
  // The agent's race, made certain: the send fails while the stream's next read
  // (which finds no new rows) is under way.
  const buffer: ShipperOptions["buffer"] = {
    readBatch: async (...args) => {
      const batch = await real.readBatch(...args);
      if (batch === undefined && failDuringRead && transport.held.length > 0) {
        failDuringRead = false;
        transport.hold = false;
        transport.refuse = () => new RetryableError("disconnected", "broker unreachable");
        transport.held.splice(0)[0]!.reject(new RetryableError("disconnected", "broker gone"));
        await new Promise((r) => setTimeout(r, 10)); // The shipper sees the failure first.
      }
      return batch;
    },
    markPending: (...args) => real.markPending(...args),
    replacePending: (...args) => real.replacePending(...args),
    pendingRanges: (...args) => real.pendingRanges(...args),
    retire: (...args) => real.retire(...args),
  };
  const { shipper } = await setup(transport, { buffer, log, stallWarnMs: 100 }, real);
  try {
    await real.append("readings", readings(3));
    await shipper.start();
    await until(() => stallWarnings(lines).length > 0);
    const sendWarnings = lines.filter((l) => l.msg === "send failed; will retry");
    assertEquals(sendWarnings.length, 1, "still the same failure streak");
    assert(transport.sent.length >= 3, `${transport.sent.length} sends`);
  } finally {
    await shipper.stop();
    await real.close();
  }
});
