/**
 * Agent → real Apache Kafka (KRaft, from Maven Central) → hub, as separate
 * processes: 5,000 rows of each kind arrive exactly once with the values the
 * seeded simulators produced; heartbeats arrive; kcat (a client that is not
 * ours) reads what the agent produced, and the hub's group has committed
 * every offset (kafkajs admin against kcat's end offsets, then kcat itself as a
 * member of the group finds nothing left to read). The same hub consumes MQTT
 * meanwhile: a batch published to its embedded broker is stored too.
 */
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { Kafka as KafkaClient, logLevel } from "kafkajs";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { KINDS } from "@tributary/shared/records";
import { decodeEnvelope, encodeBatch } from "@tributary/shared/wire";
import { batchTopic } from "@tributary/shared/topics";
import mqtt from "mqtt";
import { makeBatch, seqRange } from "../../hub/testing/batches.ts";
import { startKafka } from "../harness/kafka.ts";
import { assertSimulatorRows, startProduct, waitDelivered } from "../harness/product.ts";
import { waitFor } from "../harness/wait_for.ts";
import { hubQuery } from "../harness/hub_client.ts";
import {
  kcat,
  simulatorInputs,
  writeKafkaAgentConfig,
  writeKafkaHubConfig,
} from "./kafka_configs.ts";

const ROWS_PER_KIND = 5_000;
const SEEDS = { sensors: 21, logs: 22, market: 23 };
const PARTITIONS = 4;

Deno.test("kafka pipeline delivers every row exactly once; kcat sees the records and committed offsets", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-kafka-pipeline-" });
  await using kafka = await startKafka({ numPartitions: PARTITIONS });
  console.log(`kafka started in ${kafka.startMs} ms`);
  await using hub = await startProduct(
    dir,
    "hub",
    "hub/main.ts",
    await writeKafkaHubConfig(dir, "hub", {
      dataDir: join(dir, "hub"),
      bootstrap: kafka.bootstrap,
      partitions: PARTITIONS,
    }),
    { readyTimeoutMs: 60_000 },
  );
  const hubUrl = String(hub.ready.http);
  const agent = await startProduct(
    dir,
    "agent",
    "agent/main.ts",
    await writeKafkaAgentConfig(dir, "agent", {
      agentId: "kafka-agent-1",
      dataDir: join(dir, "agent"),
      bootstrap: kafka.bootstrap,
      inputs: simulatorInputs(SEEDS, ROWS_PER_KIND),
    }),
  );
  try {
    await waitDelivered(hubUrl, String(agent.ready.http), ROWS_PER_KIND, {
      drainedMessage: "agent backlog drained (hub acks)",
    });
    await assertSimulatorRows(hubUrl, SEEDS, ROWS_PER_KIND);
    const [quarantined] = (await hubQuery(hubUrl, "SELECT count(*) FROM quarantine")).rows;
    assertEquals(quarantined, [0]);

    // Heartbeats travel over Kafka too (<prefix>.heartbeats, key = agent id).
    await waitFor(async () => {
      const response = await fetch(`${hubUrl}/api/v1/agents`, {
        signal: AbortSignal.timeout(5_000),
      });
      const body = await response.json();
      const entry = body.agents.find((a: { agent: string }) => a.agent === "kafka-agent-1");
      return entry?.last_heartbeat !== null && entry?.last_heartbeat !== undefined;
    }, { timeoutMs: 15_000, intervalMs: 250, message: "a heartbeat over Kafka at the hub" });

    // kcat reads every batch record: key = agent id, and the wire envelopes
    // cover exactly ROWS_PER_KIND rows per kind.
    for (const kind of KINDS) {
      const out = await kcat([
        "-b",
        kafka.bootstrap,
        "-C",
        "-t",
        `tributary.${kind}`,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-f",
        "%k %p %o %S\n",
      ]);
      const lines = out.trim().split("\n").filter((line) => line !== "");
      assert(lines.length > 1, `${kind}: more than one batch record`);
      for (const line of lines) {
        const [key, partition] = line.split(" ");
        assertEquals(key, "kafka-agent-1", `${kind} key`);
        assert(Number(partition) < PARTITIONS);
      }
      // One agent → one partition per topic.
      assertEquals(new Set(lines.map((line) => line.split(" ")[1])).size, 1, `${kind} partitions`);
    }
    const raw = await new Deno.Command("kcat", {
      args: [
        "-b",
        kafka.bootstrap,
        "-C",
        "-t",
        "tributary.readings",
        "-o",
        "beginning",
        "-c",
        "1",
        "-q",
        "-f",
        "%s",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    // The first record is a valid envelope of this agent's readings. Not necessarily seq 1:
    // a send that timed out under load is resent after later batches went out.
    const envelope = decodeEnvelope(raw.stdout);
    assertEquals([envelope.agent, envelope.stream], ["kafka-agent-1", "readings"]);
    assert(envelope.firstSeq >= 1n && envelope.lastSeq >= envelope.firstSeq, "seq bounds");

    // The hub committed every offset: committed == end offset (kcat -Q, timestamp -1).
    const admin = new KafkaClient({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING })
      .admin();
    await admin.connect();
    try {
      for (const kind of KINDS) {
        const topic = `tributary.${kind}`;
        const ends = await kcat([
          "-b",
          kafka.bootstrap,
          "-Q",
          ...Array.from({ length: PARTITIONS }, (_, p) => ["-t", `${topic}:${p}:-1`]).flat(),
        ]);
        await waitFor(async () => {
          const [committed] = await admin.fetchOffsets({
            groupId: "tributary-hub",
            topics: [topic],
          });
          return committed!.partitions.every((p) => {
            const end = new RegExp(`\\[${p.partition}\\] offset (\\d+)`).exec(ends)?.[1];
            return end !== undefined &&
              (end === "0" ? p.offset === "-1" || p.offset === "0" : p.offset === end);
          });
        }, {
          timeoutMs: 10_000,
          message: `${topic}: committed offsets reach the end offsets (${ends.trim()})`,
        });
      }
    } finally {
      await admin.disconnect();
    }

    // The same hub consumes MQTT at the same time: a batch published to its
    // embedded broker by another agent is stored beside the Kafka rows.
    const mqttClient = await mqtt.connectAsync(String(hub.ready.mqtt), {
      protocolVersion: 4,
      clientId: "kafka-pipeline-mqtt-publisher",
    });
    try {
      const batch = makeBatch("readings", { agent: "mqtt-agent-1", seqs: seqRange(1n, 25n) });
      await mqttClient.publishAsync(
        batchTopic("mqtt-agent-1", "readings"),
        Buffer.from(encodeBatch(batch)),
        { qos: 1 },
      );
    } finally {
      await mqttClient.endAsync();
    }
    await waitFor(async () => {
      const answer = await hubQuery(
        hubUrl,
        "SELECT count(*)::INTEGER FROM readings WHERE agent = 'mqtt-agent-1'",
      );
      return answer.rows[0]?.[0] === 25;
    }, { timeoutMs: 30_000, intervalMs: 250, message: "MQTT rows stored beside Kafka's" });

    // kcat joins the hub's group once the hub has left: it starts from the
    // group's committed offsets and finds nothing left to read.
    const hubExit = await hub.stop("SIGINT", 15_000);
    assertEquals(hubExit.code, 0, "hub exit");
    const rest = await new Deno.Command("kcat", {
      args: [
        "-b",
        kafka.bootstrap,
        "-G",
        "tributary-hub",
        "-X",
        "auto.offset.reset=earliest",
        "-e",
        "-q",
        "-f",
        "%t %p %o\n",
        ...KINDS.map((kind) => `tributary.${kind}`),
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    assert(rest.success, `kcat -G: ${new TextDecoder().decode(rest.stderr)}`);
    assertEquals(
      new TextDecoder().decode(rest.stdout).trim(),
      "",
      "records beyond the committed offsets",
    );
  } finally {
    const agentExit = await agent.stop("SIGINT", 15_000);
    assertEquals(agentExit.code, 0, `agent exit; stderr tail:\n${agent.stderr().slice(-2000)}`);
    const hubExit = await hub.stop("SIGINT", 15_000);
    assertEquals(hubExit.code, 0, `hub exit; stderr tail:\n${hub.stderr().slice(-2000)}`);
    await Deno.remove(dir, { recursive: true });
  }
});
