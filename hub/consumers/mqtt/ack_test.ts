import { nowNs, type Reading } from "@tributary/shared/records";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { batchTopic } from "@tributary/shared/topics";
import { encodeBatch } from "@tributary/shared/wire";
// The agent side, for the in-process end-to-end test.
import { AgentBuffer } from "../../../agent/buffer/mod.ts";
import { Shipper } from "../../../agent/shipper.ts";
import {
  defaultMqttConfig as agentMqttDefaults,
  MqttTransport,
} from "../../../agent/transports/mqtt/mod.ts";
import { makeBatch, seqRange } from "../../testing/batches.ts";
import { eventually, failingSink, publish, quietLog as log, withRig } from "./test_rig.ts";

Deno.test("MqttConsumer acks each batch to its agent after the commit, by outcome", async () => {
  await withRig(async (rig) => {
    await rig.startConsumer();
    const topic = batchTopic("edge-1", "readings");
    const batch = makeBatch("readings", { seqs: seqRange(1n, 500n), agent: "edge-1" });
    await publish(rig.agent, topic, encodeBatch(batch));
    await eventually(() => rig.acks.length === 1, "the first ack");
    assertEquals(await rig.count("SELECT count(*) FROM readings"), 500n);
    await publish(rig.agent, topic, encodeBatch(batch));
    const bad = makeBatch("readings", { seqs: [501n], agent: "edge-1" });
    bad.columns.tags = ["{nope"];
    await publish(rig.agent, topic, encodeBatch(bad));
    await publish(rig.agent, topic, new Uint8Array([1, 2, 3])); // unattributable: no ack
    const other = makeBatch("logs", { seqs: [1n], agent: "edge-9" });
    await publish(rig.agent, batchTopic("edge-9", "logs"), encodeBatch(other)); // not our topic
    await eventually(() => rig.acks.length === 3, "three acks");
    await eventually(
      async () => (await rig.metrics.registry.metrics()).includes('outcome="inserted"} 2'),
      "the acks to be counted",
    );
    assertEquals(rig.acks, [
      { stream: "readings", firstSeq: 1n, lastSeq: 500n, outcome: "inserted" },
      { stream: "readings", firstSeq: 1n, lastSeq: 500n, outcome: "duplicate" },
      {
        stream: "readings",
        firstSeq: 501n,
        lastSeq: 501n,
        outcome: "rejected",
        reason: "schema_mismatch",
      },
    ]);
    const page = await rig.metrics.registry.metrics();
    assert(page.includes('tributary_hub_acks_total{outcome="duplicate"} 1'), page);
    assert(page.includes('tributary_hub_acks_total{outcome="rejected"} 1'), page);
    assert(page.includes('tributary_hub_acks_total{outcome="inserted"} 2'), page); // edge-9's too
  });
});

Deno.test("MqttConsumer sends no ack while the commit keeps failing", async () => {
  await withRig(async (rig) => {
    const flaky = failingSink(rig.store);
    await rig.startConsumer(flaky.sink);
    await publish(
      rig.agent,
      batchTopic("edge-1", "trades"),
      encodeBatch(makeBatch("trades", { seqs: [1n, 2n], agent: "edge-1" })),
    );
    await eventually(() => flaky.failures >= 3, "failed commits");
    assertEquals(rig.acks, []);
    flaky.down = false;
    await eventually(() => rig.acks.length === 1, "the ack");
    assertEquals(rig.acks[0], { stream: "trades", firstSeq: 1n, lastSeq: 2n, outcome: "inserted" });
  });
});

function readings(count: number): Reading[] {
  const ts = nowNs();
  return Array.from({ length: count }, (_, i) => ({
    ts,
    recv_ts: ts,
    sensor: `s${i}`,
    metric: "temperature",
    value: i,
    unit: "degC",
    tags: "{}",
  }));
}

Deno.test("end to end: the agent retires a batch only after the hub's ack, not the broker's PUBACK", async () => {
  await withRig(async (rig) => {
    const flaky = failingSink(rig.store);
    await rig.startConsumer(flaky.sink);
    const buffer = await AgentBuffer.open({ path: ":memory:", agent: "edge-1" });
    const transport = new MqttTransport(
      {
        ...agentMqttDefaults(),
        url: rig.broker.url!,
        ack_timeout_ms: 200,
        reconnect_initial_ms: 20,
        reconnect_max_ms: 50,
      },
      { agent: "edge-1", log },
    );
    const shipper = new Shipper({
      buffer,
      transport,
      log,
      streams: ["readings"],
      maxBatchRows: 50,
      lingerMs: 0,
      retryInitialMs: 5,
      retryMaxMs: 20,
      idlePollMs: 10,
    });
    try {
      await transport.start();
      await eventually(() => transport.connected, "the agent's connection");
      await buffer.append("readings", readings(100));
      await shipper.start();
      // The broker took the batches (PUBACK) but the hub cannot commit: nothing is retired.
      await eventually(() => flaky.failures >= 5, "failed hub commits");
      await new Promise((resolve) => setTimeout(resolve, 300));
      assertEquals((await buffer.stats()).readings.backlog_rows, 100);
      assertEquals((await buffer.stats()).readings.acked_rows, 0);
      flaky.down = false;
      await eventually(
        async () => (await buffer.stats()).readings.backlog_rows === 0,
        "the rows to be retired",
      );
      assertEquals(await rig.count("SELECT count(*) FROM readings"), 100n);
      assertEquals((await buffer.stats()).readings.acked_rows, 100);
      assert(transport.ackCounters().matched >= 2);
    } finally {
      await shipper.stop();
      await transport.stop();
      await buffer.close();
    }
  });
});
