import { encodeAck } from "@tributary/shared/ack";
import { createLogger } from "@tributary/shared/log";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { RetryableError } from "@tributary/shared/errors";
import {
  ackKey,
  type AckWaiter,
  awaitHubAck,
  HubAckWaiters,
  type TimedAckWaiter,
} from "./hub_acks.ts";
import { BatchRejectedError } from "./transport.ts";

/** A waiter that records how it was settled. */
function waiter(): AckWaiter & { outcomes: (Error | "ok")[] } {
  const outcomes: (Error | "ok")[] = [];
  return { outcomes, settle: (error) => outcomes.push(error ?? "ok") };
}

function collectingLog() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger({ level: "debug", sink: (l) => lines.push(JSON.parse(l)) }) };
}

Deno.test("HubAckWaiters settles every send of the acknowledged range, and counts it once", () => {
  const waiters = new HubAckWaiters<AckWaiter>();
  const first = waiter();
  const resend = waiter();
  const other = waiter();
  waiters.wait(ackKey("readings", 1n, 500n), first);
  waiters.wait(ackKey("readings", 1n, 500n), resend);
  waiters.wait(ackKey("readings", 501n, 600n), other);
  const { log } = collectingLog();
  waiters.receive(
    encodeAck({ stream: "readings", firstSeq: 1n, lastSeq: 500n, outcome: "duplicate" }),
    log,
  );
  assertEquals(first.outcomes, ["ok"]);
  assertEquals(resend.outcomes, ["ok"]);
  assertEquals(other.outcomes, []);
  assertEquals(waiters.counters(), { matched: 1, unknown: 0, invalid: 0 });
});

Deno.test("HubAckWaiters fails the send with BatchRejectedError on a rejected ack", () => {
  const waiters = new HubAckWaiters<AckWaiter>();
  const send = waiter();
  waiters.wait(ackKey("logs", 7n, 9n), send);
  waiters.receive(
    encodeAck({
      stream: "logs",
      firstSeq: 7n,
      lastSeq: 9n,
      outcome: "rejected",
      reason: "schema_mismatch",
    }),
    collectingLog().log,
  );
  const [error] = send.outcomes;
  assert(error instanceof BatchRejectedError, String(error));
  assertEquals(error.reason, "schema_mismatch");
});

Deno.test("HubAckWaiters ignores and counts acks for nothing pending, forgotten sends and garbage", () => {
  const waiters = new HubAckWaiters<AckWaiter>();
  const gone = waiter();
  const key = ackKey("trades", 1n, 1n);
  waiters.wait(key, gone);
  waiters.forget(key, gone); // e.g. timed out before the ack came
  const { lines, log } = collectingLog();
  const late = encodeAck({ stream: "trades", firstSeq: 1n, lastSeq: 1n, outcome: "inserted" });
  waiters.receive(late, log);
  waiters.receive(new TextEncoder().encode("{nope"), log, { topic: "tributary/v1/a/ack" });
  waiters.receive(new Uint8Array(), log);
  assertEquals(gone.outcomes, []);
  assertEquals(waiters.counters(), { matched: 0, unknown: 1, invalid: 2 });
  assertEquals(lines.map((l) => [l.level, l.msg]), [
    ["debug", "hub ack for nothing pending ignored"],
    ["warn", "invalid hub ack ignored"],
    ["warn", "invalid hub ack ignored"],
  ]);
  assertEquals(lines[1]!.topic, "tributary/v1/a/ack");
});

Deno.test("awaitHubAck replaces the send timer and fails the send retryably when no hub ack comes", async () => {
  let sendTimerFired = false;
  const outcomes: (Error | "ok")[] = [];
  const send: TimedAckWaiter = {
    key: ackKey("readings", 1n, 2n),
    timer: setTimeout(() => (sendTimerFired = true), 5),
    settle: (error) => outcomes.push(error ?? "ok"),
  };
  awaitHubAck(send, 20, collectingLog().log, "the PUBACK");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assertEquals(sendTimerFired, false);
  assertEquals(outcomes.length, 1);
  const [error] = outcomes;
  assert(error instanceof RetryableError, String(error));
  assertEquals(error.reason, "ack_timeout");
  assertEquals(error.message, "no hub ack within 20 ms of the PUBACK");
});
