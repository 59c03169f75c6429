import { assertEquals } from "@tributary/shared/testing/asserts";
import { AgentBuffer } from "../../buffer/mod.ts";
import { bufferContext } from "./buffer_context.ts";

Deno.test("bufferContext commits rows and checkpoints to the buffer", async () => {
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  try {
    const ctx = bufferContext(buffer, "in#0");
    const row = { ts: 1n, recv_ts: 1n, sensor: "s", metric: "m", value: 1, unit: "", tags: "{}" };
    await ctx.write("readings", [row, row], { name: "pos", position: "7" });
    ctx.rejected("bad_line", 2);
    assertEquals(ctx.committed.get("readings"), 2);
    assertEquals((await buffer.stats()).readings.backlog_rows, 2);
    assertEquals(await ctx.readCheckpoint("pos"), "7");
    assertEquals(ctx.rejections.get("bad_line"), 2);
  } finally {
    await buffer.close();
  }
});
