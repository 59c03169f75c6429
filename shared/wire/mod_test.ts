import { assert, assertEquals, assertMatch, assertThrows } from "../testing/asserts.ts";
import { type Batch, KINDS } from "../records.ts";
import { assembleMessage, resealMessage } from "./envelope.ts";
import { encodeArrowBody } from "./arrow_encode.ts";
import {
  CODECS,
  decodeBatch,
  decodeEnvelope,
  encodeBatch,
  HEADER_LENGTH,
  WIRE_FORMAT_VERSION,
  WireError,
  type WireErrorCode,
} from "./mod.ts";
import { sampleBatch } from "./sample_batch.ts";

function expectCode(code: WireErrorCode, fn: () => unknown): WireError {
  const error = assertThrows(fn, WireError);
  assertEquals(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  return error;
}

/** Raw bytes of a Float64Array, so NaN payloads and -0 compare bit by bit. */
function bits(values: Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function assertBatchEquals(actual: Batch, expected: Batch): void {
  assertEquals(Object.keys(actual.columns), Object.keys(expected.columns));
  for (const [name, values] of Object.entries(expected.columns)) {
    const got = actual.columns[name];
    if (values instanceof Float64Array) {
      assert(got instanceof Float64Array, `${name} is a Float64Array`);
      assertEquals(bits(got), bits(values), `column ${name} bit-exact`);
    } else {
      assertEquals(got, values, `column ${name}`);
    }
  }
  assertEquals({ ...actual, columns: {} }, { ...expected, columns: {} });
}

Deno.test("encodeBatch and decodeBatch round-trip every kind with every codec", () => {
  for (const kind of KINDS) {
    const batch = sampleBatch(kind, { rows: 500, seed: 11, firstSeq: 1000n });
    for (const codec of CODECS) {
      const bytes = encodeBatch(batch, { codec });
      const { envelope, batch: decoded } = decodeBatch(bytes);
      assertBatchEquals(decoded, batch);
      assertEquals(envelope.codec, codec);
      assertEquals(envelope.version, WIRE_FORMAT_VERSION);
      assertEquals(envelope.stream, kind);
      assertEquals(envelope.agent, "edge-0001");
      assertEquals([envelope.firstSeq, envelope.lastSeq, envelope.rowCount], [1000n, 1499n, 500]);
      assertEquals(
        envelope.bodyLength + HEADER_LENGTH + "edge-0001".length + kind.length,
        bytes.length,
      );
    }
  }
});

Deno.test("encodeBatch defaults to zstd", () => {
  const bytes = encodeBatch(sampleBatch("logs", { rows: 10 }));
  assertEquals(bytes[5], 2);
  assertEquals(decodeEnvelope(bytes).codec, "zstd");
});

Deno.test("encodeBatch and decodeBatch keep extreme values bit-exact", () => {
  const i64Min = -(1n << 63n), i64Max = (1n << 63n) - 1n;
  const nanPayload = new Float64Array(new BigUint64Array([0x7FF8_0000_DEAD_BEEFn]).buffer)[0]!;
  const longText = "x".repeat(100_000) + "é";
  const longList = Int32Array.from({ length: 100_000 }, (_, i) => i - 50_000);
  const rows = 9;
  const trades: Batch = {
    agent: "A_1.b-2",
    stream: "trades",
    firstSeq: i64Max - 20n,
    lastSeq: (1n << 64n) - 1n,
    rowCount: rows,
    columns: {
      seq: BigInt64Array.from({ length: rows }, (_, i) => i64Max - 20n + BigInt(i * 2)),
      ts: new BigInt64Array([i64Min, i64Max, 0n, -1n, 1n, 2n, 3n, 4n, 5n]),
      recv_ts: new BigInt64Array(rows).fill(i64Max),
      symbol: ["", "é", "😀", "日本語", "\u0000nul", longText, "a\nb\tc", "\u{10FFFF}", "AAPL"],
      price: new Float64Array([
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        -0,
        Number.MIN_VALUE,
        Number.MAX_VALUE,
        nanPayload,
        -Number.MIN_VALUE,
        0.1 + 0.2,
      ]),
      size: new Float64Array(rows).fill(-0),
      exchange: new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, -1, 1, 2, 3, 4, 5]),
      conditions: [
        new Int32Array([]),
        longList,
        new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
        new Int32Array([]),
        new Int32Array([0]),
        new Int32Array([]),
        new Int32Array([1, 2, 3]),
        new Int32Array([]),
        new Int32Array([]),
      ],
      trade_id: ["", "", "", "", "", "", "", "", "id"],
    },
  };
  for (const codec of CODECS) {
    assertBatchEquals(decodeBatch(encodeBatch(trades, { codec })).batch, trades);
  }
  const logs = sampleBatch("logs", { rows: 3 });
  logs.columns.fields = ['{"k":"ünï"}', "{}", '{"emoji":"😀","n":[1,2]}'];
  logs.columns.message = ["", "  ", "ошибка"];
  assertBatchEquals(decodeBatch(encodeBatch(logs)).batch, logs);
});

Deno.test("decodeBatch returns columns that own their memory, not views of the message", () => {
  const batch = sampleBatch("trades", { rows: 50 });
  const bytes = encodeBatch(batch, { codec: "none" });
  const decoded = decodeBatch(bytes).batch;
  const seq = decoded.columns.seq as BigInt64Array;
  assertEquals([seq.byteOffset, seq.buffer.byteLength], [0, 50 * 8]);
  bytes.fill(0, HEADER_LENGTH + 17);
  assertBatchEquals(decoded, batch);
});

Deno.test("encodeBatch honours the level and rejects bad options", () => {
  const batch = sampleBatch("readings", { rows: 2000 });
  const fast = encodeBatch(batch, { codec: "zstd", level: 1 });
  const strong = encodeBatch(batch, { codec: "zstd", level: 19 });
  assert(strong.length < fast.length, `${strong.length} < ${fast.length}`);
  assertThrows(() => encodeBatch(batch, { codec: "zstd", level: 23 }), RangeError, "level");
  assertThrows(() => encodeBatch(batch, { codec: "gzip", level: 10 }), RangeError, "level");
  assertThrows(
    () => encodeBatch(batch, { codec: "lz4" as "zstd" }),
    RangeError,
    "EncodeOptions.codec",
  );
});

Deno.test("encodeBatch rejects an invalid batch with a TypeError or RangeError", () => {
  const batch = sampleBatch("quotes", { rows: 5 });
  assertThrows(() => encodeBatch({ ...batch, agent: "bad agent" }), RangeError, "batch.agent");
  assertThrows(
    () =>
      encodeBatch({
        ...batch,
        columns: { ...batch.columns, bid_price: ["1", "2", "3", "4", "5"] },
      }),
    TypeError,
    "batch.columns.bid_price",
  );
});

Deno.test("decodeEnvelope reads the header without parsing the body", () => {
  const batch = sampleBatch("readings", { rows: 20, firstSeq: 7n });
  const bytes = encodeBatch(batch, { codec: "gzip" });
  const envelope = decodeEnvelope(bytes);
  assertEquals(envelope.agent, "edge-0001");
  assertEquals([envelope.stream, envelope.firstSeq, envelope.lastSeq], ["readings", 7n, 26n]);
  assertEquals(envelope.bodyLength, bytes.length - HEADER_LENGTH - 9 - 8);
  // A body that is not gzip at all but carries a correct checksum passes the envelope check.
  const garbage = assembleMessage(
    {
      codec: "gzip",
      agent: "edge-0001",
      stream: "readings",
      firstSeq: 1n,
      lastSeq: 1n,
      rowCount: 1,
      rawBodyLength: 10,
    },
    new Uint8Array([1, 2, 3]),
  );
  assertEquals(decodeEnvelope(garbage).bodyLength, 3);
  expectCode("corrupt_body", () => decodeBatch(garbage));
});

// --- one test per error code, each from the smallest edit that causes it ---

const base = (codec: "none" | "zstd" = "zstd") =>
  encodeBatch(sampleBatch("readings", { rows: 10, firstSeq: 100n }), { codec });

function edit(bytes: Uint8Array, change: (view: DataView) => void, reseal = true): Uint8Array {
  const copy = bytes.slice();
  change(new DataView(copy.buffer));
  return reseal ? resealMessage(copy) : copy;
}

Deno.test("decodeBatch reports truncated for short messages", () => {
  const bytes = base();
  expectCode("truncated", () => decodeBatch(new Uint8Array(0)));
  expectCode("truncated", () => decodeBatch(bytes.subarray(0, 3)));
  expectCode("truncated", () => decodeBatch(bytes.subarray(0, 39)));
  expectCode("truncated", () => decodeBatch(bytes.subarray(0, bytes.length - 1)));
  expectCode("truncated", () => decodeEnvelope(bytes.subarray(0, 60)));
});

Deno.test("decodeBatch reports bad_magic, unknown_version and unknown_codec", () => {
  const bytes = base();
  expectCode("bad_magic", () => decodeBatch(edit(bytes, (v) => v.setUint8(0, 0x74))));
  expectCode("bad_magic", () => decodeBatch(new Uint8Array([0x54, 0x52, 0x58])));
  assertMatch(
    expectCode("unknown_version", () => decodeBatch(edit(bytes, (v) => v.setUint8(4, 2))))
      .message,
    /version: got 2/,
  );
  expectCode("unknown_version", () => decodeBatch(edit(bytes, (v) => v.setUint8(4, 0))));
  expectCode("unknown_codec", () => decodeBatch(edit(bytes, (v) => v.setUint8(5, 3))));
});

Deno.test("decodeBatch reports bad_header for invalid header fields", () => {
  const bytes = base();
  const cases: [string, (v: DataView) => void][] = [
    ["agent id length", (v) => v.setUint8(6, 0)],
    ["stream length", (v) => v.setUint8(7, 65)],
    ["last_seq", (v) => v.setBigUint64(16, 99n)],
    ["row count", (v) => v.setUint32(24, 0)],
    ["row count", (v) => v.setBigUint64(16, 105n)], // 10 rows in 100..105
    ["raw body length", (v) => v.setUint32(32, 0)],
    ["body length", (v) => v.setUint32(28, 0)],
    ["agent id", (v) => v.setUint8(HEADER_LENGTH, 0x2D)], // "-dge-0001"
    ["stream", (v) => v.setUint8(HEADER_LENGTH + 9, 0x52)], // "Readings"
  ];
  for (const [field, change] of cases) {
    const error = expectCode("bad_header", () => decodeBatch(edit(bytes, change)));
    assert(error.message.includes(field), `${field} in ${error.message}`);
  }
  const trailing = new Uint8Array(bytes.length + 1);
  trailing.set(bytes);
  assertMatch(
    expectCode("bad_header", () => decodeBatch(trailing)).message,
    /1 trailing bytes/,
  );
  const none = base("none");
  expectCode("bad_header", () => decodeBatch(edit(none, (v) => v.setUint32(32, 5))));
});

Deno.test("decodeBatch reports oversized against each limit", () => {
  const bytes = base();
  expectCode("oversized", () => decodeBatch(bytes, { maxMessageBytes: bytes.length - 1 }));
  expectCode("oversized", () => decodeBatch(bytes, { maxRows: 9 }));
  expectCode("oversized", () => decodeBatch(bytes, { maxRawBodyBytes: 100 }));
  // Declared lengths are checked against the limit before the bytes are counted.
  expectCode(
    "oversized",
    () => decodeBatch(edit(bytes, (v) => v.setUint32(28, 100 * 1024 * 1024), false)),
  );
  decodeBatch(bytes, { maxMessageBytes: bytes.length, maxRows: 10 });
});

Deno.test("decodeBatch reports checksum_mismatch for any flipped byte", () => {
  const bytes = base();
  for (const at of [8, 30, 36, HEADER_LENGTH + 20, bytes.length - 1]) {
    const flipped = bytes.slice();
    flipped[at]! ^= 0x01;
    const error = assertThrows(() => decodeBatch(flipped), WireError);
    if (at === 8 || at === 30) continue; // first_seq / body length: the header check may fire first
    assertEquals(error.code, "checksum_mismatch", `byte ${at}`);
  }
  const body = bytes.slice();
  body[bytes.length - 5]! ^= 0xFF;
  expectCode("checksum_mismatch", () => decodeEnvelope(body));
});

Deno.test("decodeBatch reports corrupt_body for bad compression or bad Arrow", () => {
  const fields = {
    agent: "edge-0001",
    stream: "logs" as const,
    firstSeq: 1n,
    lastSeq: 1n,
    rowCount: 1,
  };
  const junk = new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9]);
  expectCode(
    "corrupt_body",
    () => decodeBatch(assembleMessage({ ...fields, codec: "zstd", rawBodyLength: 8 }, junk)),
  );
  expectCode(
    "corrupt_body",
    () => decodeBatch(assembleMessage({ ...fields, codec: "none", rawBodyLength: 8 }, junk)),
  );
  // A zstd body that inflates to more than the header declares.
  const zstd = base();
  const longer = edit(zstd, (v) => v.setUint32(32, v.getUint32(32) - 1));
  assertMatch(expectCode("corrupt_body", () => decodeBatch(longer)).message, /decompression/);
  const shorter = edit(zstd, (v) => v.setUint32(32, v.getUint32(32) + 1));
  assertMatch(expectCode("corrupt_body", () => decodeBatch(shorter)).message, /declares/);
});

Deno.test("decodeBatch reports schema_mismatch for a body of another kind or bad seq", () => {
  const readings = sampleBatch("readings", { rows: 3, firstSeq: 1n });
  const raw = encodeArrowBody(readings);
  const fields = {
    codec: "none" as const,
    agent: "edge-0001",
    firstSeq: 1n,
    lastSeq: 3n,
    rowCount: 3,
    rawBodyLength: raw.length,
  };
  decodeBatch(assembleMessage({ ...fields, stream: "readings" }, raw));
  assertMatch(
    expectCode(
      "schema_mismatch",
      () => decodeBatch(assembleMessage({ ...fields, stream: "logs" }, raw)),
    )
      .message,
    /columns/,
  );
  // seq 1..3 but the header says 2..4: row 0 lies outside the range.
  assertMatch(
    expectCode("schema_mismatch", () =>
      decodeBatch(
        assembleMessage({ ...fields, stream: "readings", firstSeq: 2n, lastSeq: 4n }, raw),
      )).message,
    /seq\[0\]: got 1/,
  );
  assertMatch(
    expectCode("schema_mismatch", () =>
      decodeBatch(
        assembleMessage({ ...fields, stream: "readings", firstSeq: 0n, lastSeq: 2n }, raw),
      )).message,
    /seq\[2\]: got 3, expected at most lastSeq 2/,
  );
  assertMatch(
    expectCode(
      "schema_mismatch",
      () => decodeBatch(assembleMessage({ ...fields, stream: "readings", rowCount: 2 }, raw)),
    ).message,
    /rows, header declares 2/,
  );
});

Deno.test("decodeBatch throws TypeError for a non-Uint8Array argument", () => {
  assertThrows(() => decodeBatch("TRIB" as unknown as Uint8Array), TypeError, "Uint8Array");
});
