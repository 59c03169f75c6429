import { assertEquals } from "./testing/asserts.ts";
import {
  ackTopic,
  batchTopic,
  heartbeatTopic,
  parseAckTopic,
  parseBatchTopic,
  parseHeartbeatTopic,
} from "./topics.ts";

Deno.test("parseBatchTopic round-trips batchTopic", () => {
  assertEquals(parseBatchTopic(batchTopic("dev-1", "trades")), {
    agent: "dev-1",
    stream: "trades",
  });
});

Deno.test("parseBatchTopic rejects foreign, malformed and unknown-stream topics", () => {
  for (
    const topic of [
      "other/v1/a/readings",
      "tributary/v1/a",
      "tributary/v1/a/b/c",
      "tributary/v1/a/ack",
      "tributary/v1/-x/logs",
      "tributary/v2/a/logs",
    ]
  ) {
    assertEquals(parseBatchTopic(topic), undefined, topic);
  }
});

Deno.test("ackTopic is the agent's reserved ack topic, never a batch topic", () => {
  assertEquals(ackTopic("dev-1"), "tributary/v1/dev-1/ack");
  assertEquals(parseBatchTopic(ackTopic("dev-1")), undefined);
});

Deno.test("heartbeatTopic is never a batch topic and parses back to its agent", () => {
  assertEquals(heartbeatTopic("dev-1"), "tributary/v1/dev-1/heartbeat");
  assertEquals(parseBatchTopic(heartbeatTopic("dev-1")), undefined);
  assertEquals(parseHeartbeatTopic(heartbeatTopic("dev-1")), "dev-1");
  assertEquals(parseHeartbeatTopic(ackTopic("dev-1")), undefined);
  assertEquals(parseHeartbeatTopic("tributary/v1/-x/heartbeat"), undefined);
  assertEquals(parseHeartbeatTopic("tributary/v1/a/b/heartbeat"), undefined);
});

Deno.test("parseAckTopic accepts only ack topics", () => {
  assertEquals(parseAckTopic(ackTopic("dev-1")), "dev-1");
  assertEquals(parseAckTopic(batchTopic("dev-1", "logs")), undefined);
  assertEquals(parseAckTopic("other/v1/dev-1/ack"), undefined);
});
