/** The transport conformance suite against MQTT: Mosquitto and the hub's MQTT consumer. */
import { defaultMqttConfig, mqttTransport } from "../../agent/transports/mqtt/mod.ts";
import {
  defaultMqttConfig as defaultMqttConsumerConfig,
  MqttConsumer,
} from "../../hub/consumers/mqtt/mod.ts";
import { createLogger } from "@tributary/shared/log";
import { startMosquitto } from "../harness/mosquitto.ts";
import { defineTransportConformance } from "./transport_conformance.ts";

const log = createLogger({ sink: () => {} });

defineTransportConformance({
  name: "mqtt (Mosquitto)",
  startBroker: (port) => startMosquitto({ port }),
  createTransport: (port, agent, options) =>
    mqttTransport.create({
      ...defaultMqttConfig(),
      url: `mqtt://127.0.0.1:${port}`,
      ack_timeout_ms: options.ackTimeoutMs,
      max_message_bytes: options.maxMessageBytes,
      send_timeout_ms: 5_000,
      reconnect_initial_ms: 50,
      reconnect_max_ms: 500,
    }, { agent, log }),
  createConsumer: (port, context) =>
    new MqttConsumer(
      {
        ...defaultMqttConsumerConfig(),
        url: `mqtt://127.0.0.1:${port}`,
        connect_timeout_ms: 10_000,
      },
      context,
      { retryInitialDelayMs: 5, retryMaxDelayMs: 50, reconnectPeriodMs: 200 },
    ),
});
