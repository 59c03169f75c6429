import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { RetryableError } from "@tributary/shared/errors";
import { startWithinDeadline, withinDeadline } from "./deadline.ts";

const timeoutError = () => new RetryableError("connect_timeout", "not ready in time");

/** A promise that stays pending until the test settles it (no timer to leak). */
function pending<T>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

Deno.test("withinDeadline resolves with the work's value when it finishes in time", async () => {
  const value = await withinDeadline(Promise.resolve(42), {
    timeoutMs: 10_000,
    onTimeout: timeoutError,
  });
  assertEquals(value, 42);
});

Deno.test("withinDeadline rejects with onTimeout() once the time has passed", async () => {
  const work = pending<void>();
  const error = await assertRejects(
    () => withinDeadline(work.promise, { timeoutMs: 5, onTimeout: timeoutError }),
    RetryableError,
    "not ready in time",
  );
  assertEquals(error.reason, "connect_timeout");
  // A late failure of the abandoned work must not surface as an unhandled rejection.
  work.reject(new Error("late failure"));
  await new Promise((resolve) => setTimeout(resolve, 0));
});

Deno.test("withinDeadline passes the work's own rejection through", async () => {
  await assertRejects(
    () =>
      withinDeadline(Promise.reject(new Error("refused")), {
        timeoutMs: 10_000,
        onTimeout: timeoutError,
      }),
    Error,
    "refused",
  );
});

Deno.test("withinDeadline rejects with onAbort() when the signal aborts, and at once if it already has", async () => {
  const abort = new AbortController();
  const work = pending<void>();
  const waiting = withinDeadline(work.promise, {
    timeoutMs: 10_000,
    onTimeout: timeoutError,
    signal: abort.signal,
    onAbort: () => new RetryableError("stopped", "stopped before ready"),
  });
  abort.abort();
  await assertRejects(() => waiting, RetryableError, "stopped before ready");
  // Already aborted, no onAbort: the signal's reason.
  await assertRejects(
    () =>
      withinDeadline(work.promise, {
        timeoutMs: 10_000,
        onTimeout: timeoutError,
        signal: AbortSignal.abort(new Error("gone")),
      }),
    Error,
    "gone",
  );
  work.resolve();
});

Deno.test("startWithinDeadline stops the component before rejecting, and only on failure", async () => {
  let stops = 0;
  const stop = () => {
    stops++;
    return Promise.resolve();
  };
  await startWithinDeadline(Promise.resolve(), {
    timeoutMs: 10_000,
    onTimeout: timeoutError,
    stop,
  });
  assertEquals(stops, 0);
  const work = pending<void>();
  await assertRejects(
    () => startWithinDeadline(work.promise, { timeoutMs: 5, onTimeout: timeoutError, stop }),
    RetryableError,
  );
  assertEquals(stops, 1);
  await assertRejects(
    () =>
      startWithinDeadline(Promise.reject(new Error("refused")), {
        timeoutMs: 10_000,
        onTimeout: timeoutError,
        stop,
      }),
    Error,
    "refused",
  );
  assertEquals(stops, 2);
  work.resolve();
});
