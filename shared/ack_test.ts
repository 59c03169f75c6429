import { PermanentError } from "./errors.ts";
import { assertEquals, assertThrows } from "./testing/asserts.ts";
import { ackReason, encodeAck, type HubAck, MAX_ACK_BYTES, parseAck } from "./ack.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("encodeAck writes the documented JSON, seqs as decimal strings", () => {
  assertEquals(
    text(encodeAck({ stream: "readings", firstSeq: 1n, lastSeq: 500n, outcome: "inserted" })),
    '{"v":1,"stream":"readings","first_seq":"1","last_seq":"500","outcome":"inserted"}',
  );
  assertEquals(
    text(
      encodeAck({
        stream: "logs",
        firstSeq: 7n,
        lastSeq: 7n,
        outcome: "rejected",
        reason: "schema_mismatch",
      }),
    ),
    '{"v":1,"stream":"logs","first_seq":"7","last_seq":"7","outcome":"rejected","reason":"schema_mismatch"}',
  );
});

Deno.test("parseAck round-trips encodeAck, u64 bounds included", () => {
  const acks: HubAck[] = [
    { stream: "readings", firstSeq: 1n, lastSeq: 500n, outcome: "inserted" },
    { stream: "trades", firstSeq: 0n, lastSeq: (1n << 64n) - 1n, outcome: "partial" },
    { stream: "quotes", firstSeq: 3n, lastSeq: 3n, outcome: "duplicate" },
    { stream: "logs", firstSeq: 9n, lastSeq: 12n, outcome: "rejected", reason: "store_rejected" },
  ];
  for (const ack of acks) assertEquals(parseAck(encodeAck(ack)), ack);
});

Deno.test("parseAck ignores unknown fields", () => {
  assertEquals(
    parseAck(
      bytes('{"v":1,"stream":"logs","first_seq":"1","last_seq":"2","outcome":"duplicate","x":[1]}'),
    ),
    { stream: "logs", firstSeq: 1n, lastSeq: 2n, outcome: "duplicate" },
  );
});

Deno.test("parseAck refuses hostile payloads with PermanentError bad_ack", () => {
  const ok = { v: 1, stream: "readings", first_seq: "1", last_seq: "2", outcome: "inserted" };
  const cases: Uint8Array[] = [
    new Uint8Array(),
    Uint8Array.from([0xff, 0xfe, 0x7b]),
    bytes("null"),
    bytes("[]"),
    bytes('"ack"'),
    bytes("{"),
    bytes(" ".repeat(MAX_ACK_BYTES + 1)),
    ...[
      { ...ok, v: 2 },
      { ...ok, v: "1" },
      { ...ok, stream: "weather" },
      { ...ok, stream: "__proto__" },
      { ...ok, first_seq: 1 },
      { ...ok, first_seq: "-1" },
      { ...ok, first_seq: "01" },
      { ...ok, first_seq: "1e3" },
      { ...ok, first_seq: " 1" },
      { ...ok, last_seq: "18446744073709551616" },
      { ...ok, last_seq: "99999999999999999999999" },
      { ...ok, first_seq: "3", last_seq: "2" },
      { ...ok, outcome: "ok" },
      { ...ok, outcome: "toString" },
      { ...ok, outcome: "rejected" },
      { ...ok, outcome: "rejected", reason: "" },
      { ...ok, outcome: "rejected", reason: "Bad Reason" },
      { ...ok, outcome: "rejected", reason: "x".repeat(65) },
    ].map((o) => bytes(JSON.stringify(o))),
  ];
  for (const payload of cases) {
    const error = assertThrows(() => parseAck(payload), PermanentError);
    assertEquals(error.reason, "bad_ack");
  }
});

Deno.test("ackReason keeps reasons within what parseAck accepts", () => {
  assertEquals(ackReason("schema_mismatch"), "schema_mismatch");
  assertEquals(ackReason("Weird-Reason!"), "weird_reason_");
  assertEquals(ackReason(""), "rejected");
  assertEquals(ackReason(undefined), "rejected");
  assertEquals(ackReason("y".repeat(100)).length, 64);
  const ack = parseAck(
    encodeAck({ stream: "logs", firstSeq: 1n, lastSeq: 1n, outcome: "rejected", reason: "A B" }),
  );
  assertEquals(ack.reason, "a_b");
});
