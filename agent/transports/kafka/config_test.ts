import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ConfigError } from "@tributary/shared/errors";
import { defaultKafkaTransportConfig, validateKafkaTransportConfig } from "./config.ts";

Deno.test("validateKafkaTransportConfig fills in the defaults", () => {
  assertEquals(validateKafkaTransportConfig({}, "transport.kafka"), defaultKafkaTransportConfig());
});

Deno.test("validateKafkaTransportConfig names the field, the value and what is allowed", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ brokers: ["nohost"] }, "transport.kafka.brokers[0]"],
    [{ brokers: [] }, "transport.kafka.brokers"],
    [{ ack: "maybe" }, "transport.kafka.ack"],
    [{ sasl_mechanism: "scram-sha-1" }, "transport.kafka.sasl_mechanism"],
    [{ sasl_mechanism: "plain" }, "transport.kafka.sasl_username"],
    [{ tls_cert: "/x.pem" }, "transport.kafka.tls_key"],
    [{ topic_prefix: ".bad" }, "transport.kafka.topic_prefix"],
    [{ reconnect_initial_ms: 500, reconnect_max_ms: 100 }, "transport.kafka.reconnect_max_ms"],
    [{ typo: 1 }, "transport.kafka.typo"],
  ];
  for (const [raw, field] of cases) {
    const error = assertThrows(
      () => validateKafkaTransportConfig(raw, "transport.kafka"),
      ConfigError,
    );
    assertEquals(error.field, field, JSON.stringify(raw));
  }
});

Deno.test("validateKafkaTransportConfig accepts SCRAM with a user and TLS", () => {
  const config = validateKafkaTransportConfig({
    brokers: ["kafka-1.example:9093", "[::1]:9093"],
    tls: true,
    sasl_mechanism: "scram-sha-512",
    sasl_username: "agent",
    sasl_password: "secret",
  }, "transport.kafka");
  assertEquals(config.brokers.length, 2);
  assertEquals(config.sasl_mechanism, "scram-sha-512");
});
