import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { ConfigError } from "../errors.ts";
import { createLogger } from "../log.ts";
import {
  defaultKafkaConnection,
  kafkaAckTopic,
  kafkaBatchTopics,
  kafkaHeartbeatTopic,
  kafkajsClientConfig,
  parseKafkaBatchTopic,
  readKafkaConnection,
} from "./connection.ts";

const log = createLogger({ sink: () => {} });

Deno.test("kafka topic names derive from the prefix", () => {
  assertEquals(kafkaBatchTopics("tributary"), [
    "tributary.readings",
    "tributary.logs",
    "tributary.trades",
    "tributary.quotes",
  ]);
  assertEquals(kafkaAckTopic("t"), "t.acks");
  assertEquals(kafkaHeartbeatTopic("t"), "t.heartbeats");
  assertEquals(parseKafkaBatchTopic("t", "t.quotes"), "quotes");
  assertEquals(parseKafkaBatchTopic("t", "t.acks"), undefined);
});

Deno.test("readKafkaConnection refuses no brokers unless allowed", () => {
  assertThrows(() => readKafkaConnection({}, "k", defaultKafkaConnection()), ConfigError);
  assertEquals(
    readKafkaConnection({}, "k", defaultKafkaConnection(), { allowNoBrokers: true }).brokers,
    [],
  );
});

Deno.test("kafkajsClientConfig maps SASL and TLS, and names an unreadable PEM file", () => {
  const base = { ...defaultKafkaConnection(["127.0.0.1:9092"]) };
  const plain = kafkajsClientConfig(
    { ...base, sasl_mechanism: "scram-sha-256", sasl_username: "u", sasl_password: "p" },
    "k",
    "id",
    log,
  );
  assertEquals(plain.sasl, { mechanism: "scram-sha-256", username: "u", password: "p" });
  assertEquals(plain.ssl, undefined);
  const tls = kafkajsClientConfig(
    { ...base, tls: true, tls_reject_unauthorized: false },
    "k",
    "id",
    log,
  );
  assertEquals(tls.ssl, { rejectUnauthorized: false });
  const error = assertThrows(
    () => kafkajsClientConfig({ ...base, tls_ca: "/nonexistent/ca.pem" }, "k", "id", log),
    ConfigError,
  );
  assert(error.message.includes("k.tls_ca"), error.message);
});
