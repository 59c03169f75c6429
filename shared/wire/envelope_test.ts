import { crc32 } from "node:zlib";
import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import {
  assembleMessage,
  checksumOf,
  type EnvelopeFields,
  HEADER_LENGTH,
  MAGIC,
  readEnvelope,
  resealMessage,
} from "./envelope.ts";
import { WireError } from "./errors.ts";

const fields: EnvelopeFields = {
  codec: "gzip",
  agent: "edge-7",
  stream: "quotes",
  firstSeq: 0x0102030405060708n,
  lastSeq: 0xFFFF_FFFF_FFFF_FFFFn,
  rowCount: 3,
  rawBodyLength: 0x0A0B0C0D,
};
const body = new Uint8Array([0xAA, 0xBB, 0xCC]);

Deno.test("assembleMessage lays out the header big-endian as documented", () => {
  const message = assembleMessage(fields, body);
  assertEquals(message.length, HEADER_LENGTH + 6 + 6 + 3);
  assertEquals(new TextDecoder().decode(message.subarray(0, 4)), MAGIC);
  assertEquals(Array.from(message.subarray(4, 8)), [1, 1, 6, 6]);
  assertEquals(Array.from(message.subarray(8, 16)), [1, 2, 3, 4, 5, 6, 7, 8]);
  assertEquals(Array.from(message.subarray(16, 24)), [255, 255, 255, 255, 255, 255, 255, 255]);
  assertEquals(Array.from(message.subarray(24, 36)), [0, 0, 0, 3, 0, 0, 0, 3, 10, 11, 12, 13]);
  assertEquals(new TextDecoder().decode(message.subarray(40, 52)), "edge-7quotes");
  assertEquals(Array.from(message.subarray(52)), [0xAA, 0xBB, 0xCC]);
});

Deno.test("checksumOf is the zlib CRC-32 of the message without bytes 36..40", () => {
  const message = assembleMessage(fields, body);
  const withoutField = new Uint8Array([...message.subarray(0, 36), ...message.subarray(40)]);
  assertEquals(checksumOf(message), crc32(withoutField));
  assertEquals(new DataView(message.buffer).getUint32(36), crc32(withoutField));
});

Deno.test("readEnvelope reads back what assembleMessage wrote, and the body view", () => {
  const message = assembleMessage(fields, body);
  const { envelope, body: framed } = readEnvelope(message);
  assertEquals(envelope, {
    version: 1,
    codec: "gzip",
    agent: "edge-7",
    stream: "quotes",
    firstSeq: fields.firstSeq,
    lastSeq: fields.lastSeq,
    rowCount: 3,
    bodyLength: 3,
    rawBodyLength: 0x0A0B0C0D,
    checksum: checksumOf(message),
  });
  assertEquals(framed, body);
});

Deno.test("readEnvelope works on a view into a larger buffer", () => {
  const message = assembleMessage(fields, body);
  const big = new Uint8Array(message.length + 20);
  big.set(message, 7);
  assertEquals(readEnvelope(big.subarray(7, 7 + message.length)).envelope.agent, "edge-7");
});

Deno.test("readEnvelope rejects a non-ASCII agent id as bad_header", () => {
  const message = assembleMessage(fields, body);
  message[HEADER_LENGTH + 1] = 0xC3;
  resealMessage(message);
  const error = assertThrows(() => readEnvelope(message), WireError);
  assertEquals(error.code, "bad_header");
  assert(error.message.startsWith("agent id: got"));
});

Deno.test("resealMessage makes an edited message pass the checksum again", () => {
  const message = assembleMessage(fields, body);
  message[message.length - 1] = 0;
  assertEquals(assertThrows(() => readEnvelope(message), WireError).code, "checksum_mismatch");
  resealMessage(message);
  assertEquals(readEnvelope(message).body[2], 0);
  assertEquals(resealMessage(new Uint8Array(3)).length, 3);
});

Deno.test("assembleMessage refuses lengths a u32 cannot carry", () => {
  assertThrows(() => assembleMessage({ ...fields, rawBodyLength: 2 ** 32 }, body), RangeError);
});
