import { assertEquals, assertRejects } from "@tributary/shared/testing/asserts";
import { createLogger } from "@tributary/shared/log";
import mqtt from "mqtt";
import { EmbeddedBroker } from "./embedded_broker.ts";

const log = createLogger({ sink: () => {} });

Deno.test("EmbeddedBroker relays a QoS 1 message between two MQTT 3.1.1 clients", async () => {
  const broker = new EmbeddedBroker({ listen: { hostname: "127.0.0.1", port: 0 }, log });
  const port = await broker.start();
  assertEquals(broker.url, `mqtt://127.0.0.1:${port}`);
  const sub = await mqtt.connectAsync(broker.url!, { protocolVersion: 4, reconnectPeriod: 0 });
  const pub = await mqtt.connectAsync(broker.url!, { protocolVersion: 4, reconnectPeriod: 0 });
  try {
    const received = new Promise<string>((resolve) =>
      sub.on("message", (_t, payload) => resolve(payload.toString()))
    );
    await sub.subscribeAsync("a/b", { qos: 1 });
    await pub.publishAsync("a/b", "hello", { qos: 1 });
    assertEquals(await received, "hello");
  } finally {
    await pub.endAsync();
    await sub.endAsync();
    await broker.stop();
  }
});

Deno.test("EmbeddedBroker.stop is idempotent, safe before start, and closes connected clients", async () => {
  await new EmbeddedBroker({ listen: { hostname: "127.0.0.1", port: 0 }, log }).stop();
  const broker = new EmbeddedBroker({ listen: { hostname: "127.0.0.1", port: 0 }, log });
  await broker.start();
  const client = await mqtt.connectAsync(broker.url!, { protocolVersion: 4, reconnectPeriod: 0 });
  const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
  await broker.stop();
  await broker.stop();
  await closed;
  await client.endAsync();
  // MQTT.js closes its message store with a setTimeout(0) after the connection drops.
  await new Promise((resolve) => setTimeout(resolve, 5));
});

Deno.test("EmbeddedBroker.start rejects when the port is taken", async () => {
  const first = new EmbeddedBroker({ listen: { hostname: "127.0.0.1", port: 0 }, log });
  const port = await first.start();
  const second = new EmbeddedBroker({ listen: { hostname: "127.0.0.1", port }, log });
  try {
    await assertRejects(() => second.start(), Error, "EADDRINUSE");
  } finally {
    await second.stop();
    await first.stop();
  }
});
