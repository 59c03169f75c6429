import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ConfigError } from "@tributary/shared/errors";
import { defaultKafkaConsumerConfig, validateKafkaConsumerConfig } from "./config.ts";

Deno.test("validateKafkaConsumerConfig defaults to Kafka off (no brokers)", () => {
  const config = validateKafkaConsumerConfig({}, "kafka");
  assertEquals(config, defaultKafkaConsumerConfig());
  assertEquals(config.brokers, []);
});

Deno.test("validateKafkaConsumerConfig names the field that is not allowed", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ brokers: "127.0.0.1:9092" }, "kafka.brokers"],
    [{ group_id: "" }, "kafka.group_id"],
    [{ partitions: 0 }, "kafka.partitions"],
    [{ replication_factor: 0 }, "kafka.replication_factor"],
    [{ session_timeout_ms: 10 }, "kafka.session_timeout_ms"],
    [{ unknown: true }, "kafka.unknown"],
  ];
  for (const [raw, field] of cases) {
    const error = assertThrows(() => validateKafkaConsumerConfig(raw, "kafka"), ConfigError);
    assertEquals(error.field, field, JSON.stringify(raw));
  }
});
