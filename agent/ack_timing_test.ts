import { assertEquals } from "@tributary/shared/testing/asserts";
import { RetryableError } from "@tributary/shared/errors";
import type { Kind } from "@tributary/shared/records";
import type { OutgoingBatch, Transport } from "./transports/transport.ts";
import { timeAcks } from "./ack_timing.ts";

const batch = (stream: Kind): OutgoingBatch => ({
  agent: "a1",
  stream,
  firstSeq: 1n,
  lastSeq: 2n,
  rowCount: 2,
  bytes: new Uint8Array(4),
});

Deno.test("timeAcks reports the duration of each confirmed send, not of failed ones", async () => {
  let clock = 1_000;
  let fail = false;
  const sent: string[] = [];
  const inner: Transport = {
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    connected: true,
    send: (message) => {
      clock += 250; // the ack takes 250 ms of the fake clock
      if (fail) return Promise.reject(new RetryableError("timeout", "no ack"));
      sent.push(message.stream);
      return Promise.resolve();
    },
  };
  const seen: [Kind, number][] = [];
  const timed = timeAcks(inner, (kind, s) => seen.push([kind, s]), () => clock);
  await timed.send(batch("trades"));
  fail = true;
  let failed = false;
  await timed.send(batch("logs")).catch(() => (failed = true));
  assertEquals(failed, true, "the failure reaches the shipper unchanged");
  assertEquals(seen, [["trades", 0.25]]);
  assertEquals(sent, ["trades"]);
  assertEquals(timed.connected, true);
  assertEquals(timed.publishHeartbeat, undefined, "absent when the transport has none");
});

Deno.test("timeAcks passes heartbeats, start and stop through", async () => {
  const calls: string[] = [];
  const inner: Transport = {
    start: () => Promise.resolve(void calls.push("start")),
    stop: () => Promise.resolve(void calls.push("stop")),
    connected: false,
    send: () => Promise.resolve(),
    publishHeartbeat: (payload) => (calls.push(`hb ${payload.length}`), true),
  };
  const timed = timeAcks(inner, () => {});
  await timed.start();
  assertEquals(timed.publishHeartbeat?.(new Uint8Array(3)), true);
  await timed.stop();
  assertEquals(calls, ["start", "hb 3", "stop"]);
  assertEquals(timed.connected, false);
});
