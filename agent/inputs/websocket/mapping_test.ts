import { assertEquals } from "@tributary/shared/testing/asserts";
import { EARLIEST_TS_NS, skewCheck } from "../processors/skew.ts";
import { defaultWebSocketConfig, type MappingConfig } from "./config.ts";
import { type Mapped, MessageMapper } from "./mapping.ts";

const NOW = 1_712_327_400_000_000_000n;
const T_MS = 1_712_327_399_000;

function mapper(over: Partial<MappingConfig> = {}) {
  return new MessageMapper(
    { ...defaultWebSocketConfig().mapping, ...over },
    skewCheck({ max_future_s: 300, max_past_s: 3600 }, { earliestNs: EARLIEST_TS_NS }),
  );
}

function map(m: MessageMapper, message: unknown): Mapped[] {
  const out: Mapped[] = [];
  m.map(message, NOW, out);
  return out;
}

Deno.test("MessageMapper maps Polygon's trade and quote messages and ignores other events", () => {
  const out = map(mapper(), [
    { ev: "T", sym: "MSFT", x: 4, i: "12345", z: 3, p: 114.125, s: 100, c: [0, 12], t: T_MS, q: 7 },
    { ev: "Q", sym: "MSFT", bx: 4, bp: 114.12, bs: 1, ax: 7, ap: 114.13, as: 2, c: 0, t: T_MS },
    { ev: "status", status: "connected" },
  ]);
  assertEquals(out, [
    {
      kind: "trades",
      symbol: "MSFT",
      seq: 7,
      row: {
        ts: 1_712_327_399_000_000_000n,
        recv_ts: NOW,
        symbol: "MSFT",
        price: 114.125,
        size: 100,
        exchange: 4,
        conditions: [0, 12],
        trade_id: "12345",
      },
    },
    {
      kind: "quotes",
      symbol: "MSFT",
      seq: undefined,
      row: {
        ts: 1_712_327_399_000_000_000n,
        recv_ts: NOW,
        symbol: "MSFT",
        bid_price: 114.12,
        bid_size: 1,
        ask_price: 114.13,
        ask_size: 2,
        bid_exchange: 4,
        ask_exchange: 7,
      },
    },
    { ignored: true },
  ]);
});

Deno.test("MessageMapper follows nested paths and other ts units", () => {
  const m = mapper({
    type_path: "type",
    trade_type: "trade",
    ts_unit: "ns",
    sequence_path: "meta.seq",
    trade: {
      symbol: "data.s",
      price: "data.px",
      size: "data.qty",
      exchange: "",
      conditions: "",
      trade_id: "data.id",
      ts: "data.time",
    },
  });
  const [one] = map(m, {
    type: "trade",
    meta: { seq: 3 },
    data: { s: "BTCUSD", px: 65000.5, qty: 0.25, id: 99, time: "1712327399123456789" },
  });
  assertEquals(one, {
    kind: "trades",
    symbol: "BTCUSD",
    seq: 3,
    row: {
      ts: 1_712_327_399_123_456_789n,
      recv_ts: NOW,
      symbol: "BTCUSD",
      price: 65000.5,
      size: 0.25,
      exchange: 0,
      conditions: [],
      trade_id: "99",
    },
  });
});

Deno.test("MessageMapper rejects bad records with a reason, element by element", () => {
  const good = { ev: "T", sym: "A", p: 1, s: 1, t: T_MS };
  const out = map(mapper(), [
    good,
    42,
    { ...good, p: "1" },
    { ...good, sym: "" },
    { ...good, c: ["x"] },
    { ...good, x: 1.5 },
    { ...good, q: -1 },
    { ...good, t: "soon" },
    { ...good, p: 0 },
    { ...good, s: -5 },
    { ...good, t: T_MS + 3_600_000 },
    { ...good, t: T_MS - 7_200_000 },
    { ev: "Q", sym: "A", bp: 0, bs: 0, ap: 0, as: 0, t: T_MS },
    { ev: "Q", sym: "A", bp: 1, bs: 0, ap: 0, as: 0, t: T_MS },
    { ev: "Q", sym: "A", bp: 1, bs: 1, ap: 0, as: 0, t: T_MS },
  ]);
  assertEquals(out.map((m) => "reject" in m ? m.reject : "kind" in m ? m.kind : "ignored"), [
    "trades",
    "bad_record",
    "bad_record",
    "bad_record",
    "bad_record",
    "bad_record",
    "bad_record",
    "bad_record",
    "non_positive",
    "non_positive",
    "clock_skew",
    "clock_skew",
    "non_positive",
    "non_positive",
    "quotes",
  ]);
});
