import { PermanentError, RetryableError } from "@tributary/shared/errors";
import type { LogLine } from "@tributary/shared/records";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { recordingContext } from "../testing/context.ts";
import { RowQueue } from "./row_queue.ts";

const row = (message: string): LogLine => ({
  ts: 1n,
  recv_ts: 1n,
  source: "t",
  level: "info",
  message,
  fields: "{}",
});

Deno.test("RowQueue writes full batches at once and the rest after flushMs", async () => {
  const ctx = recordingContext();
  const writes: number[] = [];
  const write = ctx.write.bind(ctx);
  ctx.write = (kind, rows, checkpoint) => {
    writes.push(rows.length);
    return write(kind, rows, checkpoint);
  };
  const queue = new RowQueue(ctx, { batchRows: 3, flushMs: 50, maxRows: 100 });
  queue.push([row("a"), row("b"), row("c"), row("d")]);
  await waitFor(() => ctx.rows.logs.length === 4);
  assertEquals(writes, [3, 1]);
  assertEquals(await queue.close(), 0);
});

Deno.test("RowQueue retries refused writes, reports room, and counts rows lost at close", async () => {
  const ctx = recordingContext();
  const queue = new RowQueue(ctx, { batchRows: 2, flushMs: 5, maxRows: 2, maxBackoffMs: 20 });
  ctx.failWrites = new RetryableError("budget_full", "full");
  queue.push([row("a"), row("b")]);
  assertEquals(queue.full, true);
  let roomy = false;
  const room = queue.room().then(() => roomy = true);
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(roomy, false);
  ctx.failWrites = undefined;
  await room;
  assertEquals(ctx.rows.logs.map((r) => r.message), ["a", "b"]);
  ctx.failWrites = new RetryableError("budget_full", "full");
  queue.push([row("c")]);
  assertEquals(await queue.close(100), 1);
  assertEquals(ctx.rejections.get("shutdown"), 1);
});

Deno.test("RowQueue drops rows the buffer refuses for good, counting them", async () => {
  const ctx = recordingContext();
  ctx.failWrites = new PermanentError("invalid_row", "bad");
  const queue = new RowQueue(ctx, { batchRows: 10, flushMs: 5, maxRows: 100 });
  queue.push([row("x"), row("y")]);
  await waitFor(() => ctx.rejections.get("invalid_row") === 2);
  assertEquals(await queue.close(), 0);
});
