/**
 * A real full disk: the buffer on an 8 MiB tmpfs, filled until DuckDB gets
 * ENOSPC. Needs root and permission to mount; where mounting is not allowed
 * the test is reported as ignored (never as passed).
 */
import { RetryableError } from "@tributary/shared/errors";
import type { LogLine } from "@tributary/shared/records";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { AgentBuffer } from "./buffer.ts";

async function run(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

async function mountTmpfs(dir: string, size: string): Promise<boolean> {
  return await run("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
}

async function canMount(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const dir = await Deno.makeTempDir();
  try {
    if (!await mountTmpfs(dir, "1m")) return false;
    return await run("umount", [dir]);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function logs(from: number, count: number): LogLine[] {
  // Random-looking text, so DuckDB's compression cannot shrink it much.
  return Array.from({ length: count }, (_, i) => ({
    ts: BigInt(from + i),
    recv_ts: BigInt(from + i),
    source: "app",
    level: "info",
    message: `${from + i} ${crypto.randomUUID()} ${crypto.randomUUID()} ${crypto.randomUUID()}`,
    fields: "{}",
  }));
}

Deno.test({
  name: "AgentBuffer on a full disk fails appends retryably, keeps every committed row, reopens",
  ignore: !(await canMount()),
  async fn() {
    const dir = await Deno.makeTempDir();
    assert(await mountTmpfs(dir, "8m"), "mount tmpfs");
    const path = `${dir}/buffer.duckdb`;
    try {
      let buffer = await AgentBuffer.open({ path, agent: "edge-1" });
      let committed = 0;
      let failure: unknown;
      try {
        for (let i = 0; i < 2000 && failure === undefined; i++) {
          try {
            await buffer.append("logs", logs(committed, 1000));
            committed += 1000;
          } catch (error) {
            failure = error;
          }
        }
        assert(failure instanceof RetryableError, `expected a RetryableError, got ${failure}`);
        assertEquals(failure.reason, "buffer_write");
        assert(committed > 0, "some appends fitted");
        // Still alive: reads work, and seqs were not advanced by the failed write.
        assertEquals(buffer.lastAssignedSeq("logs"), BigInt(committed));
        // The buffer goes on: reads work, and a smaller write either fits or fails retryably.
        assertEquals((await buffer.stats()).logs.backlog_rows, committed);
        try {
          await buffer.append("logs", logs(committed, 10));
          committed += 10;
        } catch (error) {
          assert(error instanceof RetryableError, `expected a RetryableError, got ${error}`);
        }
      } finally {
        await buffer.close();
      }
      // Make room (as an operator would) and reopen: every committed row is there, nothing more.
      assert(await run("mount", ["-o", "remount,size=64m", dir]), "grow the tmpfs");
      buffer = await AgentBuffer.open({ path, agent: "edge-1" });
      try {
        const stats = await buffer.stats();
        assertEquals(stats.logs.next_seq, committed + 1);
        assertEquals(stats.logs.backlog_rows, committed);
        const batch = await buffer.readBatch("logs", BigInt(committed - 1), 10);
        assertEquals(batch?.lastSeq, BigInt(committed));
      } finally {
        await buffer.close();
      }
    } finally {
      await run("umount", [dir]);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
