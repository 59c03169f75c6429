/**
 * The consumer interface: a component that receives wire messages from a
 * transport (MQTT now, Kafka later) and passes each to a
 * {@linkcode BatchHandler}, acknowledging it only once the handler is done.
 *
 * @module
 */
import type { Component, ComponentFactory } from "@tributary/shared/component";
import type { Logger } from "@tributary/shared/log";
import type { HubMetrics } from "../metrics.ts";
import type { BatchHandler } from "./batch_handler.ts";

/** A running consumer: `start()` resolves once it receives; `stop()` drains and disconnects. */
export interface Consumer extends Component {}

/** What a consumer is given by the hub. */
export interface ConsumerContext {
  handler: BatchHandler;
  metrics: HubMetrics;
  log: Logger;
}

/** A factory of consumers of one type (`mqtt`, ...). */
export type ConsumerFactory<Config> = ComponentFactory<Config, ConsumerContext, Consumer>;
