/**
 * The shipped Mosquitto ACL (deploy/mosquitto) against a real Mosquitto:
 * per-agent credentials, an agent publishes only under its own id, reads only
 * its own acks, and the hub reads everything.
 */
import mqtt from "mqtt";
import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { waitFor } from "../../tests/harness/wait_for.ts";
import { canLogIn, startSecuredMosquitto } from "./secured_broker.ts";

const USERS = { "agent-a": "pw-a-123", "agent-b": "pw-b-456", hub: "pw-hub-789" };
type User = keyof typeof USERS;

/** MQTT 3.1.1, as the agent and the hub speak it. */
async function connect(url: string, username: User, clientId: string): Promise<mqtt.MqttClient> {
  return await mqtt.connectAsync(url, {
    username,
    password: USERS[username],
    clientId,
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
}

/**
 * Publishes one QoS 1 message on a connection of its own. MQTT 3.1.1 cannot
 * refuse a publish: Mosquitto acknowledges a denied one and drops it, and
 * MQTT.js then loses that connection, so nothing else shares it.
 */
async function publishAs(url: string, user: User, topic: string, payload: string, n: number) {
  const client = await connect(url, user, `acl-test-${user}-${n}`);
  try {
    await client.publishAsync(topic, payload, { qos: 1 });
  } finally {
    await client.endAsync(true);
  }
}

/** Subscribes `client` to `filter` and records every message as "topic payload". */
async function record(client: mqtt.MqttClient, filter: string): Promise<string[]> {
  const seen: string[] = [];
  client.on("message", (topic, payload) => seen.push(`${topic} ${payload}`));
  await client.subscribeAsync(filter, { qos: 1 });
  return seen;
}

Deno.test("mosquitto ACL: agent A cannot publish as agent B but can as itself; the hub reads all", async () => {
  await using broker = await startSecuredMosquitto({ users: USERS, probeUser: "hub" });
  const hub = await connect(broker.url, "hub", "acl-test-hub");
  // Agent A listens on every agent's ack topic; the ACL lets only its own through.
  const agentA = await connect(broker.url, "agent-a", "acl-test-agent-a-listener");
  try {
    const atHub = await record(hub, "tributary/v1/#");
    const atA = await record(agentA, "tributary/v1/+/ack");

    await publishAs(broker.url, "agent-a", "tributary/v1/agent-b/readings", "forged by A", 1);
    await publishAs(broker.url, "agent-b", "tributary/v1/agent-a/ack", "forged ack by B", 2);
    await publishAs(broker.url, "agent-a", "tributary/v1/agent-a/readings", "own A", 3);
    await publishAs(broker.url, "agent-b", "tributary/v1/agent-b/heartbeat", "own B", 4);
    await hub.publishAsync("tributary/v1/agent-b/ack", "ack for B", { qos: 1 });
    await hub.publishAsync("tributary/v1/agent-a/ack", "ack for A", { qos: 1 });
    // Published last: once it has arrived, the forged messages had every chance to.
    await publishAs(broker.url, "agent-a", "tributary/v1/agent-a/logs", "marker A", 5);

    await waitFor(
      () =>
        atHub.includes("tributary/v1/agent-a/logs marker A") &&
        atA.includes("tributary/v1/agent-a/ack ack for A"),
      { timeoutMs: 10_000, message: "the allowed messages delivered" },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assertEquals(atHub.sort(), [
      "tributary/v1/agent-a/ack ack for A",
      "tributary/v1/agent-a/logs marker A",
      "tributary/v1/agent-a/readings own A",
      "tributary/v1/agent-b/ack ack for B",
      "tributary/v1/agent-b/heartbeat own B",
    ], "the hub reads everything allowed and nothing forged");
    assertEquals(atA, ["tributary/v1/agent-a/ack ack for A"], "A reads only its own acks");
  } finally {
    await Promise.all([hub.endAsync(true), agentA.endAsync(true)]);
  }
  const log = broker.log();
  assertMatch(log, /Denied PUBLISH from acl-test-agent-a-1 .*'tributary\/v1\/agent-b\/readings'/);
  assertMatch(log, /Denied PUBLISH from acl-test-agent-b-2 .*'tributary\/v1\/agent-a\/ack'/);
});

Deno.test("mosquitto ACL: anonymous clients and wrong passwords are refused", async () => {
  await using broker = await startSecuredMosquitto({ users: USERS, probeUser: "hub" });
  assertEquals(await canLogIn(broker.url, "agent-a", "wrong"), false);
  assertEquals(await canLogIn(broker.url, "", ""), false);
  assertEquals(await canLogIn(broker.url, "nobody", "pw-a-123"), false);
  assertEquals(await canLogIn(broker.url, "agent-a", USERS["agent-a"]), true);
});
