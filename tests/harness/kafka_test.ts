import { Kafka as KafkaClient, logLevel } from "kafkajs";
import { assert, assertEquals, assertRejects } from "../../shared/testing/asserts.ts";
import { kafkaServerProperties, KafkaStartError, randomClusterId, startKafka } from "./kafka.ts";

Deno.test("kafkaServerProperties binds loopback only, KRaft single node", () => {
  const text = kafkaServerProperties({ port: 1, controllerPort: 2, dataDir: "/tmp/x" });
  assert(text.includes("process.roles=broker,controller"));
  assert(text.includes("listeners=PLAINTEXT://127.0.0.1:1,CONTROLLER://127.0.0.1:2"));
  assert(text.includes("controller.quorum.voters=1@127.0.0.1:2"));
  assert(!/0\.0\.0\.0/.test(text));
});

Deno.test("randomClusterId is 22 URL-safe base64 characters", () => {
  for (let i = 0; i < 50; i++) assert(/^[A-Za-z0-9_-]{22}$/.test(randomClusterId()));
});

Deno.test("startKafka reports a missing java binary", async () => {
  await assertRejects(() => startKafka({ java: "/nonexistent/java" }), KafkaStartError);
});

Deno.test("startKafka serves produce and fetch, keeps data across restarts, then stops", async () => {
  const started = performance.now();
  const kafka = await startKafka();
  console.log(
    `kafka ${kafka.bootstrap}: up in ${Math.round(performance.now() - started)} ms ` +
      `(broker ${kafka.startMs} ms after spawn)`,
  );
  const client = new KafkaClient({
    clientId: "harness-test",
    brokers: [kafka.bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const roundTrip = async (expected: string[]) => {
    const consumer = client.consumer({ groupId: `g-${crypto.randomUUID()}` });
    const seen: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: "harness", fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        consumer.run({
          eachMessage: ({ message }) => {
            seen.push(message.value!.toString());
            if (seen.length >= expected.length) resolve();
            return Promise.resolve();
          },
        });
      });
      await done;
    } finally {
      await consumer.disconnect();
    }
    assertEquals(seen.sort(), [...expected].sort());
  };
  try {
    const producer = client.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: "harness", acks: -1, messages: [{ key: "a", value: "one" }] });
    await producer.disconnect();
    await roundTrip(["one"]);

    await kafka.restart({ signal: "SIGKILL" });
    console.log(`restart after SIGKILL: ${kafka.startMs} ms`);
    const again = client.producer({ idempotent: true });
    await again.connect();
    await again.send({ topic: "harness", acks: -1, messages: [{ key: "a", value: "two" }] });
    await again.disconnect();
    await roundTrip(["one", "two"]);
  } finally {
    await kafka.stop();
  }
  await kafka.stop(); // idempotent
  await assertRejects(() => Deno.stat(kafka.dir));
});
