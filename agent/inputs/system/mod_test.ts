import { ConfigError } from "@tributary/shared/errors";
import { RetryableError } from "@tributary/shared/errors";
import { assert, assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { recordingContext } from "../testing/context.ts";
import { systemInput } from "./mod.ts";

Deno.test("systemInput.validate fills defaults and names bad fields", () => {
  assertEquals(systemInput.validate({ type: "system" }, "inputs[0]"), systemInput.defaultConfig());
  assertThrows(
    () => systemInput.validate({ collect: ["cpu", "gpu"] }, "inputs[0]"),
    ConfigError,
    "inputs[0].collect",
  );
  assertThrows(
    () => systemInput.validate({ interval_s: 0 }, "inputs[1]"),
    ConfigError,
    "inputs[1].interval_s",
  );
  assertThrows(
    () => systemInput.validate({ disk: [] }, "inputs[0]"),
    ConfigError,
    "inputs[0].disk",
  );
});

Deno.test("system input samples this machine every interval and stops cleanly", async () => {
  const ctx = recordingContext();
  const input = systemInput.create(systemInput.validate({ interval_s: 1 }, "in"), ctx);
  await input.start();
  try {
    await waitFor(() => input.samples() >= 2, { timeoutMs: 10_000, message: "two samples" });
  } finally {
    await input.stop();
  }
  const sensors = new Set(ctx.rows.readings.map((r) => r.sensor));
  for (const s of ["cpu", "mem", "load", "fs:/"]) assert(sensors.has(s), `sensor ${s}`);
  const samplesAtStop = input.samples();
  await new Promise((r) => setTimeout(r, 1200));
  assertEquals(input.samples(), samplesAtStop);
});

Deno.test("system input counts a sample the buffer refused", async () => {
  const ctx = recordingContext();
  ctx.failWrites = new RetryableError("budget_full", "full");
  const input = systemInput.create(systemInput.validate({ collect: ["mem"] }, "in"), ctx);
  await input.start();
  try {
    await waitFor(() => (ctx.rejections.get("buffer_busy") ?? 0) > 0);
  } finally {
    await input.stop();
  }
  assertEquals(ctx.rows.readings.length, 0);
});
