import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { QueryGate, QueryGateFull } from "./query_gate.ts";

Deno.test("QueryGate runs at most maxRunning, queues in order, refuses beyond maxQueued", async () => {
  const gate = new QueryGate({ maxRunning: 2, maxQueued: 2 });
  const first = await gate.acquire();
  const second = await gate.acquire();
  const order: string[] = [];
  const third = gate.acquire().then((release) => (order.push("third"), release));
  const fourth = gate.acquire().then((release) => (order.push("fourth"), release));
  assertEquals([gate.running, gate.waiting], [2, 2]);
  await assertRejects(() => gate.acquire(), QueryGateFull, "2 running and 2 waiting");
  first();
  first(); // a second release of the same slot does nothing
  const releaseThird = await third;
  assertEquals(order, ["third"]);
  assertEquals([gate.running, gate.waiting], [2, 1]);
  second();
  const releaseFourth = await fourth;
  assertEquals(order, ["third", "fourth"]);
  releaseThird();
  releaseFourth();
  assertEquals([gate.running, gate.waiting], [0, 0]);
});
