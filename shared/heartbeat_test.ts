import { assertEquals, assertThrows } from "./testing/asserts.ts";
import { PermanentError } from "./errors.ts";
import {
  encodeHeartbeat,
  type Heartbeat,
  MAX_HEARTBEAT_BYTES,
  parseHeartbeat,
} from "./heartbeat.ts";

const sample: Heartbeat = {
  agent: "edge-1",
  version: "0.1.0",
  sentAt: new Date("2026-11-21T12:00:00.123Z"),
  uptimeS: 42.5,
  streams: {
    readings: {
      backlog_rows: 10,
      backlog_bytes: 640,
      oldest_unsent_age_s: 1.25,
      dropped: { max_bytes: 3 },
    },
    logs: { backlog_rows: 0, backlog_bytes: 0, oldest_unsent_age_s: 0, dropped: {} },
  },
};

function json(doc: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(doc));
}

function docOf(overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...JSON.parse(new TextDecoder().decode(encodeHeartbeat(sample))), ...overrides };
}

Deno.test("parseHeartbeat round-trips encodeHeartbeat", () => {
  assertEquals(parseHeartbeat(encodeHeartbeat(sample)), sample);
});

Deno.test("parseHeartbeat tolerates a missing dropped, unknown fields and unknown streams", () => {
  const hb = parseHeartbeat(json(docOf({
    extra: true,
    streams: {
      trades: { backlog_rows: 1, backlog_bytes: 2, oldest_unsent_age_s: 0 },
      metrics: { anything: 1 },
    },
  })));
  assertEquals(hb.streams, {
    trades: { backlog_rows: 1, backlog_bytes: 2, oldest_unsent_age_s: 0, dropped: {} },
  });
});

Deno.test("parseHeartbeat refuses hostile payloads with bad_heartbeat", () => {
  const cases: [string, Uint8Array][] = [
    ["not JSON", new TextEncoder().encode("{")],
    ["not UTF-8", new Uint8Array([0xff, 0xfe])],
    ["an array", json([1])],
    ["too large", new Uint8Array(MAX_HEARTBEAT_BYTES + 1)],
    ["other version", json(docOf({ v: 2 }))],
    ["bad agent", json(docOf({ agent: "-x" }))],
    ["bad version", json(docOf({ version: "a b" }))],
    ["bad sent_at", json(docOf({ sent_at: "yesterday" }))],
    ["negative uptime", json(docOf({ uptime_s: -1 }))],
    ["no streams", json(docOf({ streams: undefined }))],
    [
      "fractional rows",
      json(docOf({
        streams: { logs: { backlog_rows: 1.5, backlog_bytes: 0, oldest_unsent_age_s: 0 } },
      })),
    ],
    [
      "string bytes",
      json(docOf({
        streams: { logs: { backlog_rows: 1, backlog_bytes: "9", oldest_unsent_age_s: 0 } },
      })),
    ],
    [
      "bad drop reason",
      json(docOf({
        streams: {
          logs: {
            backlog_rows: 1,
            backlog_bytes: 0,
            oldest_unsent_age_s: 0,
            dropped: { "A B": 1 },
          },
        },
      })),
    ],
    [
      "negative drop count",
      json(docOf({
        streams: {
          logs: { backlog_rows: 1, backlog_bytes: 0, oldest_unsent_age_s: 0, dropped: { x: -1 } },
        },
      })),
    ],
  ];
  for (const [name, payload] of cases) {
    const error = assertThrows(() => parseHeartbeat(payload), PermanentError, "heartbeat:");
    assertEquals(error.reason, "bad_heartbeat", name);
  }
});
