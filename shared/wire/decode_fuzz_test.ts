/**
 * Hostile-input fuzzing of the decoder: every input must either decode to a
 * well-formed batch or throw a WireError, each within a second. Seeded, so a
 * failure reproduces; the seed and the mutation are in the failure message.
 */
import { assert, assertEquals } from "../testing/asserts.ts";
import { createRandom, type Random } from "../prng.ts";
import { bodyColumns, KINDS } from "../records.ts";
import { encodeArrowBody } from "./arrow_encode.ts";
import { type Codec, CODECS, compressBody } from "./codec.ts";
import { assembleMessage, HEADER_LENGTH, resealMessage } from "./envelope.ts";
import { decodeBatch, encodeBatch, WireError, type WireErrorCode } from "./mod.ts";
import { sampleBatch } from "./sample_batch.ts";

const SEED = 20250101;
const MUTATED = 20_000;
const RAW_BODY_MUTATED = 10_000;
const RANDOM = 5000;
const MAX_DECODE_MS = 1000;

/** Values that hit boundaries when written over a length or offset field. */
const NASTY_U32 = [0, 1, 7, 8, 0x7F, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFF8];

interface Outcome {
  ok: number;
  codes: Map<WireErrorCode, number>;
  slowest: number;
}

function decodeChecked(bytes: Uint8Array, what: string, outcome: Outcome): void {
  const started = performance.now();
  try {
    const { envelope, batch } = decodeBatch(bytes);
    // Whatever decodes must be a well-formed batch.
    for (const column of bodyColumns(batch.stream)) {
      assertEquals(batch.columns[column.name]?.length, batch.rowCount, `${what}: ${column.name}`);
    }
    assertEquals(batch.rowCount, envelope.rowCount);
    outcome.ok++;
  } catch (error) {
    if (!(error instanceof WireError)) {
      throw new Error(`${what}: threw ${String(error)} instead of a WireError`, { cause: error });
    }
    outcome.codes.set(error.code, (outcome.codes.get(error.code) ?? 0) + 1);
  }
  const elapsed = performance.now() - started;
  outcome.slowest = Math.max(outcome.slowest, elapsed);
  assert(elapsed < MAX_DECODE_MS, `${what}: decode took ${elapsed.toFixed(0)} ms`);
}

function seedMessages(random: Random): { codec: Codec; bytes: Uint8Array; raw: Uint8Array }[] {
  const seeds = [];
  for (const kind of KINDS) {
    for (const codec of CODECS) {
      const batch = sampleBatch(kind, {
        rows: random.int(1, 12),
        seed: random.int(1, 1e6),
        firstSeq: BigInt(random.int(0, 1e6)),
      });
      seeds.push({ codec, bytes: encodeBatch(batch, { codec }), raw: encodeArrowBody(batch) });
    }
  }
  return seeds;
}

/** Applies one random mutation to a copy of `bytes`; returns it and its name. */
function mutate(bytes: Uint8Array, random: Random): [Uint8Array, string] {
  const at = random.int(0, Math.max(0, bytes.length - 1));
  switch (random.int(0, 7)) {
    case 0: {
      const copy = bytes.slice();
      copy[at]! ^= 1 << random.int(0, 7);
      return [copy, `flip bit at ${at}`];
    }
    case 1: {
      const copy = bytes.slice();
      copy[at] = random.int(0, 255);
      return [copy, `overwrite byte at ${at}`];
    }
    case 2:
      return [bytes.slice(0, at), `truncate to ${at}`];
    case 3: {
      const extra = Uint8Array.from({ length: random.int(1, 16) }, () => random.int(0, 255));
      const copy = new Uint8Array(bytes.length + extra.length);
      copy.set(bytes.subarray(0, at));
      copy.set(extra, at);
      copy.set(bytes.subarray(at), at + extra.length);
      return [copy, `insert ${extra.length} bytes at ${at}`];
    }
    case 4: {
      const end = Math.min(bytes.length, at + random.int(1, 16));
      const copy = new Uint8Array(bytes.length - (end - at));
      copy.set(bytes.subarray(0, at));
      copy.set(bytes.subarray(end), at);
      return [copy, `delete ${at}..${end}`];
    }
    case 5:
    case 6: {
      // A 32-bit word anywhere (Arrow lengths and offsets are 32 or 64 bits) set to a boundary value.
      const copy = bytes.slice();
      const pos = Math.min(at, Math.max(0, copy.length - 4));
      const value = random.pick(NASTY_U32);
      if (copy.length >= 4) {
        new DataView(copy.buffer).setUint32(pos, value, random.next() < 0.5);
      }
      return [copy, `set u32 at ${pos} to ${value}`];
    }
    default: {
      // A header length or count field.
      const copy = bytes.slice();
      if (copy.length < HEADER_LENGTH) return [copy, "short: unchanged"];
      const view = new DataView(copy.buffer);
      const field = random.pick([6, 7, 8, 16, 24, 28, 32]);
      if (field === 6 || field === 7) view.setUint8(field, random.int(0, 70));
      else if (field === 8 || field === 16) view.setBigUint64(field, BigInt(random.int(0, 2e6)));
      else {view.setUint32(
          field,
          random.next() < 0.5 ? random.pick(NASTY_U32) : random.int(0, 5000),
        );}
      return [copy, `edit header field at ${field}`];
    }
  }
}

Deno.test("decodeBatch returns a valid batch or throws a WireError for mutated messages", () => {
  const random = createRandom(SEED);
  const seeds = seedMessages(random);
  const outcome: Outcome = { ok: 0, codes: new Map(), slowest: 0 };
  for (let i = 0; i < MUTATED; i++) {
    const seed = random.pick(seeds);
    let bytes = seed.bytes;
    const steps: string[] = [];
    for (let k = random.int(1, 3); k > 0; k--) {
      const [next, step] = mutate(bytes, random);
      bytes = next;
      steps.push(step);
    }
    // Half keep a valid checksum, so the checks behind the CRC see the damage.
    const resealed = i % 2 === 0;
    if (resealed) resealMessage(bytes);
    decodeChecked(
      bytes,
      `mutation ${i} (${seed.codec}, ${steps.join(", ")}, resealed ${resealed})`,
      outcome,
    );
  }
  assert((outcome.codes.get("checksum_mismatch") ?? 0) > 0, "some hit the checksum");
  assert((outcome.codes.get("bad_header") ?? 0) > 0, "some hit the header checks");
  assert((outcome.codes.get("corrupt_body") ?? 0) > 0, "some reached the body");
});

Deno.test("decodeBatch survives mutated Arrow bodies that are validly compressed and sealed", () => {
  const random = createRandom(SEED + 1);
  const seeds = seedMessages(random);
  const outcome: Outcome = { ok: 0, codes: new Map(), slowest: 0 };
  for (let i = 0; i < RAW_BODY_MUTATED; i++) {
    const seed = random.pick(seeds);
    const header = new DataView(seed.bytes.buffer, seed.bytes.byteOffset);
    let raw = seed.raw;
    const steps: string[] = [];
    for (let k = random.int(1, 2); k > 0; k--) {
      const [next, step] = mutate(raw, random);
      raw = next;
      steps.push(step);
    }
    if (raw.length === 0) continue;
    const agentLength = header.getUint8(6);
    const streamLength = header.getUint8(7);
    const text = new TextDecoder();
    const agent = text.decode(seed.bytes.subarray(HEADER_LENGTH, HEADER_LENGTH + agentLength));
    const stream = text.decode(
      seed.bytes.subarray(HEADER_LENGTH + agentLength, HEADER_LENGTH + agentLength + streamLength),
    ) as typeof KINDS[number];
    const bytes = assembleMessage(
      {
        codec: seed.codec,
        agent,
        stream,
        firstSeq: header.getBigUint64(8),
        lastSeq: header.getBigUint64(16),
        rowCount: header.getUint32(24),
        rawBodyLength: raw.length,
      },
      compressBody(raw, seed.codec),
    );
    decodeChecked(bytes, `raw body mutation ${i} (${seed.codec}, ${steps.join(", ")})`, outcome);
  }
  // The Arrow reader and the schema checks, not the CRC or zlib, must have done the rejecting.
  assert(
    (outcome.codes.get("corrupt_body") ?? 0) > 100,
    `corrupt_body: ${outcome.codes.get("corrupt_body")}`,
  );
  assert(
    (outcome.codes.get("schema_mismatch") ?? 0) > 10,
    `schema_mismatch: ${outcome.codes.get("schema_mismatch")}`,
  );
  assertEquals(outcome.codes.get("checksum_mismatch"), undefined);
});

Deno.test("decodeBatch throws only WireError for random byte strings", () => {
  const random = createRandom(SEED + 2);
  const outcome: Outcome = { ok: 0, codes: new Map(), slowest: 0 };
  for (let i = 0; i < RANDOM; i++) {
    const bytes = Uint8Array.from({ length: random.int(0, 400) }, () => random.int(0, 255));
    if (i % 2 === 0 && bytes.length >= 8) {
      // Past the magic, version and codec, so the deeper header checks run too.
      bytes.set([0x54, 0x52, 0x49, 0x42, 1, random.int(0, 2), random.int(1, 12), random.int(4, 8)]);
      if (i % 4 === 0) resealMessage(bytes);
    }
    decodeChecked(bytes, `random string ${i} (${bytes.length} bytes)`, outcome);
  }
  assertEquals(outcome.ok, 0);
  assert((outcome.codes.get("bad_magic") ?? 0) > 0);
  assert((outcome.codes.get("bad_header") ?? 0) > 0);
});
