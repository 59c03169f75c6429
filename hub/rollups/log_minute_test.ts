import { assertEquals } from "@tributary/shared/testing/asserts";
import { logMinute } from "./log_minute.ts";
import { at, batchOf, rowsOf, withRollupDb } from "./testing/rows.ts";

Deno.test("logMinute counts lines per agent, source, level and minute, adding late batches", async () => {
  await withRollupDb(async (db) => {
    const first = batchOf("logs", [
      { ts: at(0, 1), source: "app", level: "info" },
      { ts: at(0, 2), source: "app", level: "info" },
      { ts: at(0, 3), source: "app", level: "error" },
      { ts: at(1, 0), source: "app", level: "info" },
    ]);
    assertEquals(await logMinute.apply(db, first, undefined), 3);
    await logMinute.apply(db, batchOf("logs", [{ ts: at(0, 59), source: "app", level: "info" }]), [
      0,
    ]);
    await logMinute.apply(
      db,
      batchOf("logs", [{ ts: at(0, 9), source: "app", level: "info" }], "b"),
      undefined,
    );
    assertEquals(
      await rowsOf(
        db,
        `SELECT epoch_ns(bucket), agent, source, level, "count" FROM log_minute ORDER BY ALL`,
      ),
      [
        [at(0), "agent-1", "app", "error", 1n],
        [at(0), "agent-1", "app", "info", 3n],
        [at(0), "b", "app", "info", 1n],
        [at(1), "agent-1", "app", "info", 1n],
      ],
    );
  });
});
