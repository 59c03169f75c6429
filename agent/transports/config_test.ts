import { ConfigError, PermanentError } from "@tributary/shared/errors";
import { assert, assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { defaultDeliveryConfig, oversizeError, readDeliveryConfig } from "./config.ts";

Deno.test("readDeliveryConfig fills in the defaults, with the transport's own message limit", () => {
  const d = defaultDeliveryConfig(1_000_000);
  assertEquals(readDeliveryConfig({}, "transport.x", d, 1 << 30), d);
  assertEquals(d.max_message_bytes, 1_000_000);
  assertEquals(d.ack, "hub");
  const read = readDeliveryConfig(
    { ack: "broker", send_timeout_ms: 500, max_message_bytes: 4096 },
    "transport.x",
    d,
    1 << 30,
  );
  assertEquals([read.ack, read.send_timeout_ms, read.max_message_bytes], ["broker", 500, 4096]);
});

Deno.test("readDeliveryConfig names the field, the value and what is allowed", () => {
  const d = defaultDeliveryConfig(1_000);
  const cases: [Record<string, unknown>, string, string][] = [
    [{ ack: "maybe" }, "transport.x.ack", 'one of "hub", "broker"'],
    [{ connect_timeout_ms: 5 }, "transport.x.connect_timeout_ms", "from 100 to 600000"],
    [{ max_message_bytes: 2_000 }, "transport.x.max_message_bytes", "from 64 to 1000"],
    [
      { reconnect_initial_ms: 500, reconnect_max_ms: 100 },
      "transport.x.reconnect_max_ms",
      "at least reconnect_initial_ms (500)",
    ],
  ];
  for (const [raw, field, allowed] of cases) {
    const error = assertThrows(() => readDeliveryConfig(raw, "transport.x", d, 1_000), ConfigError);
    assertEquals(error.field, field, JSON.stringify(raw));
    assert(error.message.includes(allowed), error.message);
  }
});

Deno.test("oversizeError refuses only messages above max_message_bytes, as permanent", () => {
  const config = { max_message_bytes: 4 };
  assertEquals(oversizeError(new Uint8Array(4), "transport.mqtt", config), undefined);
  const error = oversizeError(new Uint8Array(5), "transport.mqtt", config);
  assert(error instanceof PermanentError);
  assertEquals(error.reason, "too_large");
  assert(error.message.includes("transport.mqtt.max_message_bytes (4)"), error.message);
});
