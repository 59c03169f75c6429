import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { createLogger } from "@tributary/shared/log";
import { handlingRetryOptions, retryUntilDone } from "./retry.ts";

Deno.test("retryUntilDone retries retryable failures with growing, jittered delays", async () => {
  let calls = 0;
  const delays: number[] = [];
  const result = await retryUntilDone(() => {
    calls++;
    if (calls < 4) return Promise.reject(new RetryableError("busy", "try later"));
    return Promise.resolve("done");
  }, {
    signal: new AbortController().signal,
    initialDelayMs: 2,
    maxDelayMs: 6,
    random: () => 0.5,
    onRetry: (_e, _attempt, delay) => delays.push(delay),
  });
  assertEquals(result, "done");
  assertEquals(delays, [1, 2, 3]); // 0.5 * min(6, 2, 4, 8)
});

Deno.test("retryUntilDone rejects at once on an error that is not retryable", async () => {
  let calls = 0;
  await assertRejects(
    () =>
      retryUntilDone(() => {
        calls++;
        return Promise.reject(new PermanentError("bad", "no"));
      }, { signal: new AbortController().signal }),
    PermanentError,
  );
  assertEquals(calls, 1);
});

Deno.test("retryUntilDone stops waiting when the signal aborts", async () => {
  const controller = new AbortController();
  const pending = retryUntilDone(
    () => Promise.reject(new RetryableError("busy", "try later")),
    { signal: controller.signal, initialDelayMs: 60_000, random: () => 1 },
  );
  setTimeout(() => controller.abort(new Error("stopping")), 10);
  await assertRejects(() => pending, Error, "stopping");
});

Deno.test("handlingRetryOptions passes the tuning through and counts and logs each retry", async () => {
  const counted: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const options = handlingRetryOptions(
    new AbortController().signal,
    { retryInitialDelayMs: 1, retryMaxDelayMs: 2 },
    {
      metrics: { retries: { inc: ({ reason }) => counted.push(reason) } },
      log: createLogger({ level: "debug", sink: (line) => lines.push(JSON.parse(line)) }),
    },
    "message handling failed; retrying",
    "tributary/v1/a1/readings",
  );
  assertEquals([options.initialDelayMs, options.maxDelayMs], [1, 2]);
  let calls = 0;
  await retryUntilDone(() => {
    calls++;
    if (calls < 3) return Promise.reject(new RetryableError("db_busy", "try later"));
    return Promise.resolve();
  }, options);
  assertEquals(counted, ["db_busy", "db_busy"]);
  assertEquals(lines.map((l) => [l.level, l.msg, l.topic, l.attempt]), [
    ["warn", "message handling failed; retrying", "tributary/v1/a1/readings", 1],
    ["warn", "message handling failed; retrying", "tributary/v1/a1/readings", 2],
  ]);
});
