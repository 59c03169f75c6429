/**
 * The tail input against a real DuckDB buffer whose disk budget is far
 * smaller than the file, under policy `block`: writes are refused with
 * `budget_full` until a stand-in shipper retires rows, the input pauses and
 * retries, and every line ends up delivered exactly once, in order.
 */
import { RetryableError } from "@tributary/shared/errors";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { AgentBuffer } from "../../buffer/mod.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { bufferContext } from "../testing/buffer_context.ts";
import { tail } from "./mod.ts";

const LINES = 5000;

Deno.test("tail pauses under buffer policy block and delivers every line once", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/app.log`;
  const lines = Array.from({ length: LINES }, (_, i) => `INFO request ${i} served in 3 ms`);
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  const buffer = await AgentBuffer.open({
    path: ":memory:",
    agent: "edge-1",
    // About 100 rows fit; the file holds 5000.
    budget: { maxBytes: 20_000, policy: "block", blockTimeoutMs: 100 },
  });
  const ctx = bufferContext(buffer, "tail#0");
  let refused = 0;
  const write = ctx.write.bind(ctx);
  ctx.write = async (kind, rows, checkpoint) => {
    try {
      await write(kind, rows, checkpoint);
    } catch (error) {
      if (error instanceof RetryableError && error.reason === "budget_full") refused++;
      throw error;
    }
  };
  const input = tail.create(
    tail.validate(
      { paths: [path], start_at: "beginning", poll_ms: 10, read_bytes: 4096 },
      "inputs[0]",
    ),
    ctx,
  );
  const shipped: string[] = [];
  let afterSeq = 0n;
  try {
    await input.start();
    await waitFor(() => refused > 0, { message: "a write refused by the full buffer" });
    // A stand-in for the shipper: read the oldest rows, "deliver" them, retire them.
    await waitFor(async () => {
      const batch = await buffer.readBatch("logs", afterSeq, 300);
      if (batch !== undefined) {
        shipped.push(...batch.columns.message as string[]);
        await buffer.retire("logs", batch.firstSeq, batch.lastSeq);
        afterSeq = batch.lastSeq;
      }
      return shipped.length >= LINES;
    }, { timeoutMs: 60_000, intervalMs: 10, message: `${LINES} lines shipped` });
  } finally {
    await input.stop();
    await buffer.close();
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(shipped, lines);
  assert(refused > 0);
  console.log(`  ${LINES} lines through a buffer holding ~100 rows; ${refused} writes refused`);
});
