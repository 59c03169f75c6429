import { assertEquals, assertMatch, assertRejects } from "@tributary/shared/testing/asserts";
import { waitFor } from "./wait_for.ts";

Deno.test("waitFor returns the first truthy value", async () => {
  let calls = 0;
  const value = await waitFor(() => {
    calls += 1;
    return calls >= 3 ? { calls } : undefined;
  }, { intervalMs: 1 });
  assertEquals(value, { calls: 3 });
});

Deno.test("waitFor awaits async predicates and treats a throw as not yet", async () => {
  let calls = 0;
  const value = await waitFor(async () => {
    calls += 1;
    await Promise.resolve();
    if (calls < 2) throw new Error("not up");
    return "up";
  }, { intervalMs: 1 });
  assertEquals(value, "up");
});

Deno.test("waitFor times out with the message and the last error", async () => {
  const error = await assertRejects(
    () =>
      waitFor(() => {
        throw new Error("connection refused");
      }, { timeoutMs: 100, intervalMs: 10, message: "hub healthy" }),
    Error,
  );
  assertMatch(
    error.message,
    /^hub healthy: not met within 100 ms \(\d+ checks\); last error: connection refused$/,
  );
});

Deno.test("waitFor checks at least once even with a zero timeout", async () => {
  assertEquals(await waitFor(() => 7, { timeoutMs: 0 }), 7);
  await assertRejects(() => waitFor(() => false, { timeoutMs: 0 }), Error, "condition: not met");
});
