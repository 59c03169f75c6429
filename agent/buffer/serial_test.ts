import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { SerialQueue } from "./serial.ts";

Deno.test("SerialQueue.run never overlaps tasks and keeps call order", async () => {
  const queue = new SerialQueue();
  const log: string[] = [];
  let running = 0;
  const task = (name: string, ms: number) => async () => {
    running++;
    assertEquals(running, 1);
    log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, ms));
    log.push(`end ${name}`);
    running--;
    return name;
  };
  const results = await Promise.all([queue.run(task("a", 20)), queue.run(task("b", 1))]);
  assertEquals(results, ["a", "b"]);
  assertEquals(log, ["start a", "end a", "start b", "end b"]);
});

Deno.test("SerialQueue.run continues after a failed task", async () => {
  const queue = new SerialQueue();
  const failed = queue.run(() => Promise.reject(new Error("boom")));
  const next = queue.run(() => Promise.resolve(7));
  await assertRejects(() => failed, Error, "boom");
  assertEquals(await next, 7);
  await queue.idle();
});
