import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { RetryableError } from "@tributary/shared/errors";
import { recordingContext } from "./context.ts";

const reading = {
  ts: 1n,
  recv_ts: 2n,
  sensor: "s1",
  metric: "temp",
  value: 20.5,
  unit: "C",
  tags: "{}",
};

Deno.test("recordingContext keeps rows, checkpoints and rejections", async () => {
  const ctx = recordingContext({ checkpoints: { file: "10" } });
  assertEquals(await ctx.readCheckpoint("file"), "10");
  await ctx.write("readings", [reading], { name: "file", position: "42" });
  ctx.rejected("bad_line");
  ctx.rejected("bad_line", 2);
  assertEquals(ctx.rows.readings, [reading]);
  assertEquals(await ctx.readCheckpoint("file"), "42");
  assertEquals(ctx.rejections.get("bad_line"), 3);
  ctx.flagged?.("sequence_gap");
  ctx.flagged?.("sequence_gap", 4);
  assertEquals(Object.fromEntries(ctx.flags), { sequence_gap: 5 });
});

Deno.test("recordingContext fails writes on demand and records nothing then", async () => {
  const ctx = recordingContext();
  ctx.failWrites = new RetryableError("budget_full", "buffer full");
  await assertRejects(() => ctx.write("readings", [reading]), RetryableError);
  assertEquals(ctx.rows.readings.length, 0);
});
