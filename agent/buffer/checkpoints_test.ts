import { PermanentError } from "@tributary/shared/errors";
import type { LogLine } from "@tributary/shared/records";
import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { AgentBuffer } from "./buffer.ts";
import type { InputCheckpoint } from "./checkpoints.ts";

function logs(count: number, fields = "{}"): LogLine[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: BigInt(1_000 + i),
    recv_ts: BigInt(1_000 + i),
    source: "app",
    level: "info",
    message: `line ${i}`,
    fields,
  })) as LogLine[];
}

const at = (position: string, name = "logs"): InputCheckpoint => ({
  input: "sim_logs#1",
  name,
  position,
});

Deno.test("AgentBuffer.readCheckpoint returns the position committed with the rows, across reopen", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/buffer.duckdb`;
  try {
    const first = await AgentBuffer.open({ path, agent: "a" });
    assertEquals(await first.readCheckpoint("sim_logs#1", "logs"), undefined);
    await first.append("logs", logs(3), { checkpoint: at("3") });
    await first.append("logs", logs(2), { checkpoint: at("5") });
    await first.append("logs", logs(1), { checkpoint: { ...at("x"), input: "other#0" } });
    assertEquals(await first.readCheckpoint("sim_logs#1", "logs"), "5");
    await first.close();

    const second = await AgentBuffer.open({ path, agent: "a" });
    try {
      assertEquals(await second.readCheckpoint("sim_logs#1", "logs"), "5");
      assertEquals(await second.readCheckpoint("other#0", "logs"), "x");
      assertEquals(await second.readCheckpoint("sim_logs#1", "trades"), undefined);
      assertEquals((await second.stats()).logs.backlog_rows, 6);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AgentBuffer.append saves no checkpoint when its rows are refused", async () => {
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "a" });
  try {
    await buffer.append("logs", logs(1), { checkpoint: at("1") });
    await assertRejects(
      () => buffer.append("logs", logs(2, "{not json"), { checkpoint: at("3") }),
      PermanentError,
    );
    assertEquals(await buffer.readCheckpoint("sim_logs#1", "logs"), "1");
  } finally {
    await buffer.close();
  }
});

Deno.test("AgentBuffer.append with no rows commits the checkpoint alone; names are separate", async () => {
  const buffer = await AgentBuffer.open({ path: ":memory:", agent: "a" });
  try {
    assertEquals(
      await buffer.append("logs", [], { checkpoint: at("'; DROP TABLE x; --") }),
      undefined,
    );
    await buffer.append("logs", logs(1), { checkpoint: at("7", "other") });
    assertEquals(await buffer.readCheckpoint("sim_logs#1", "logs"), "'; DROP TABLE x; --");
    assertEquals(await buffer.readCheckpoint("sim_logs#1", "other"), "7");
    assertEquals(buffer.lastAssignedSeq("logs"), 1n);
  } finally {
    await buffer.close();
  }
});
