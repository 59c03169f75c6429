import { ConfigError, RetryableError } from "@tributary/shared/errors";
import { assertEquals, assertRejects, assertThrows } from "@tributary/shared/testing/asserts";
import { AgentBuffer } from "../../buffer/mod.ts";
import { configureInput } from "../registry.ts";
import { bufferContext } from "../testing/buffer_context.ts";
import { recordingContext } from "../testing/context.ts";
import type { HttpInput } from "../http/mod.ts";
import { readProcessors } from "./config.ts";
import { withProcessors } from "./pipeline.ts";
import { reading } from "./_testing.ts";

Deno.test("withProcessors runs steps in order, counts drops and passes other kinds", async () => {
  const ctx = recordingContext();
  const wrapped = withProcessors(
    ctx,
    readProcessors([
      { type: "enrich", units: { temp: "degC" } },
      { type: "filter", exclude_metrics: ["debug"] },
      { type: "range", metrics: ["temp"], max: 100 },
    ], "p"),
  );
  await wrapped.write("readings", [
    reading("s", "temp", 20),
    reading("s", "debug", 1),
    reading("s", "temp", 500),
  ], { name: "pos", position: "3" });
  assertEquals(ctx.rows.readings.map((r) => [r.metric, r.value, r.unit]), [["temp", 20, "degC"]]);
  assertEquals(Object.fromEntries(ctx.rejections), { filtered: 1, out_of_range: 1 });
  assertEquals(ctx.checkpoints.get("pos"), "3");
  // Everything filtered: the checkpoint still commits.
  await wrapped.write("readings", [reading("s", "debug", 1)], { name: "pos", position: "4" });
  assertEquals(ctx.checkpoints.get("pos"), "4");
  const log = {
    ts: 1n,
    recv_ts: 1n,
    source: "x",
    level: "info" as const,
    message: "m",
    fields: "{}",
  };
  await wrapped.write("logs", [log]);
  assertEquals(ctx.rows.logs.length, 1);
  assertEquals(withProcessors(ctx, []), ctx);
});

Deno.test("withProcessors passes flags of trades and quotes through to the agent", () => {
  const ctx = recordingContext();
  const wrapped = withProcessors(ctx, readProcessors([{ type: "filter" }], "p"));
  // The websocket and polygon inputs count sequence gaps and outliers this way:
  // a wrapper without it would lose them as soon as any processor is configured.
  wrapped.flagged?.("sequence_gap", 2);
  assertEquals(Object.fromEntries(ctx.flags), { sequence_gap: 2 });
});

Deno.test("withProcessors changes no state and counts nothing when the write fails", async () => {
  const ctx = recordingContext();
  const wrapped = withProcessors(ctx, readProcessors([{ type: "deadband", delta: 1 }], "p"));
  ctx.failWrites = new RetryableError("budget_full", "full");
  await assertRejects(() =>
    wrapped.write("readings", [reading("s", "m", 1), reading("s", "m", 1)])
  );
  assertEquals(ctx.rejections.size, 0);
  ctx.failWrites = undefined;
  await wrapped.write("readings", [reading("s", "m", 1), reading("s", "m", 1)]);
  assertEquals(ctx.rows.readings.length, 1);
  assertEquals(Object.fromEntries(ctx.rejections), { deadband: 1 });
});

Deno.test("[[inputs]] processors apply to an http input and quarantine into the buffer", async () => {
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
  const configured = configureInput({
    type: "http",
    id: "push",
    listen: "127.0.0.1:0",
    processors: [
      { type: "enrich", tags: { site: "plant-1" } },
      { type: "range", metrics: ["temp"], min: -40, max: 125 },
    ],
  }, "inputs[0]");
  const ctx = bufferContext(buffer, "push");
  const input = configured.create(ctx) as HttpInput;
  await input.start();
  try {
    const res = await fetch(`${input.url}/write`, {
      method: "POST",
      body: "env,id=a temp=21\nenv,id=b temp=-999",
    });
    await res.body?.cancel();
    assertEquals(res.status, 204);
    const kept = await buffer.query("SELECT sensor, value, tags FROM buffer_readings");
    assertEquals(kept.rows, [["env,id=a", 21, '{"site":"plant-1","id":"a"}']]);
    const quarantined = await buffer.query(
      "SELECT input_id, stream, reason, json_extract_string(record, '$.sensor') FROM quarantine",
    );
    assertEquals(quarantined.rows, [["push", "readings", "out_of_range", "env,id=b"]]);
    assertEquals(ctx.rejections.get("out_of_range"), 1);
  } finally {
    await input.stop();
    await buffer.close();
  }
});

Deno.test("[[inputs]] processors errors name the input's field", () => {
  assertThrows(
    () =>
      configureInput(
        { type: "system", processors: [{ type: "deadband", delta: -1 }] },
        "inputs[4]",
      ),
    ConfigError,
    "inputs[4].processors[0].delta",
  );
});
