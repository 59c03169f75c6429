import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { retryUntilDone } from "./retry.ts";

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
