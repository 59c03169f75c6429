/** The transport conformance suite against Kafka: a KRaft broker and the hub's Kafka consumer. */
import { defaultKafkaTransportConfig, kafkaTransport } from "../../agent/transports/kafka/mod.ts";
import { defaultKafkaConsumerConfig, KafkaConsumer } from "../../hub/consumers/kafka/mod.ts";
import { createLogger } from "@tributary/shared/log";
import { startKafka } from "../harness/kafka.ts";
import { defineTransportConformance } from "./transport_conformance.ts";

// CONFORMANCE_LOG=1 prints the transport's and consumer's logs (debugging).
const log = createLogger({
  level: "debug",
  sink: Deno.env.get("CONFORMANCE_LOG") ? (line) => console.error(line) : () => {},
});

defineTransportConformance({
  name: "kafka (KRaft)",
  startBroker: (port) => startKafka({ port, numPartitions: 2 }),
  createTransport: (port, agent, options) =>
    kafkaTransport.create({
      ...defaultKafkaTransportConfig(),
      brokers: [`127.0.0.1:${port}`],
      ack_timeout_ms: options.ackTimeoutMs,
      max_message_bytes: options.maxMessageBytes,
      send_timeout_ms: 5_000,
      reconnect_initial_ms: 50,
      reconnect_max_ms: 500,
    }, { agent, log }),
  createConsumer: (port, context) =>
    new KafkaConsumer(
      {
        ...defaultKafkaConsumerConfig(),
        brokers: [`127.0.0.1:${port}`],
        partitions: 2,
        session_timeout_ms: 6_000,
        connect_timeout_ms: 30_000,
      },
      context,
      { retryInitialDelayMs: 5, retryMaxDelayMs: 50 },
    ),
  settleMs: 45_000,
});
