/**
 * `mqtt`: subscribes to a local device broker and turns messages into
 * readings (JSON, line protocol or bare values; sensor, metric, unit and tags
 * from topic levels). Options and mapping: README.md beside this file.
 *
 * Delivery: QoS 1 with a persistent session (`clean: false`, a fixed client
 * id), and the PUBACK of a message is sent only after its rows are committed
 * to the buffer. MQTT.js calls `handleMessage(packet, callback)` before it
 * acknowledges an incoming QoS 1 PUBLISH and sends the PUBACK from the
 * callback; this input overrides it, so the callback runs after `ctx.write`
 * resolves. Messages are handled one at a time (MQTT.js waits for the
 * callback before it reads the next packet): a crash before the commit means
 * no PUBACK, and the broker delivers the message again when the session
 * resumes. Bad messages are counted and acknowledged (a redelivery would be
 * just as bad); a full or closed buffer is retried with backoff, unacknowledged.
 *
 * @module
 */
import mqtt, { type IPublishPacket, type MqttClient } from "mqtt";
import { PermanentError } from "@tributary/shared/errors";
import { mqttAuthTlsOptions } from "@tributary/shared/mqtt/connection";
import { nowNs } from "@tributary/shared/records";
import { backoffDelay } from "../../backoff.ts";
import type { Input, InputContext, InputFactory } from "../input.ts";
import { PRECISIONS } from "../http/line_protocol.ts";
import { skewCheck } from "../processors/skew.ts";
import { defaultMqttInputConfig, type MqttInputConfig, validateMqttInputConfig } from "./config.ts";
import { decodePayload } from "./payload.ts";
import { parseTopicLevels } from "./topic_map.ts";

export { defaultMqttInputConfig, type MqttInputConfig } from "./config.ts";

/** A running `mqtt` input. */
export interface MqttInput extends Input {
  /** The client id used (the configured one, or the derived default). */
  readonly clientId: string;
  /** Resolves once subscribed (or the session resumed) the first time. */
  readonly ready: Promise<void>;
  /** Messages handled (acknowledged) since start. */
  handled(): number;
}

/** The `mqtt` input factory. */
export const mqttInput: InputFactory<MqttInputConfig, MqttInput> = {
  type: "mqtt",
  defaultConfig: defaultMqttInputConfig,
  validate: validateMqttInputConfig,
  create: (config, ctx) => new MqttSubscribeInput(config, ctx),
};

/** `tributary-<agent>-<input id>`, reduced to characters every broker accepts. */
export function defaultClientId(agent: string, inputId: string): string {
  return `tributary-${agent}-${inputId}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
}

const RETRY_MAX_MS = 5_000;

/** Longest wait before subscribing again to a filter the broker refused, in ms. */
const SUBSCRIBE_RETRY_MAX_MS = 30_000;

/** A SUBACK return code at or above this is a refusal (MQTT 3.1.1: 0x80; v5: reason codes). */
const SUBACK_FAILURE = 0x80;

/** Checkpoint name under which the topic filters of the broker's session are kept. */
export const SUBSCRIPTION_CHECKPOINT = "subscription";

class MqttSubscribeInput implements MqttInput {
  readonly #config: MqttInputConfig;
  readonly #ctx: InputContext;
  readonly clientId: string;
  readonly ready: Promise<void>;
  #resolveReady!: () => void;
  #client: MqttClient | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #handled = 0;
  /** The message being handled, so stop() can wait for its write. */
  #current: Promise<void> = Promise.resolve();
  #wakeRetry: (() => void) | undefined;
  /** The wait before subscribing again after the broker refused a filter. */
  #subscribeTimer: ReturnType<typeof setTimeout> | undefined;
  /** The write of the subscription checkpoint, if one is under way. */
  #storing: Promise<void> = Promise.resolve();
  readonly #topicMap;
  readonly #skew;

  constructor(config: MqttInputConfig, ctx: InputContext) {
    this.#config = config;
    this.#ctx = ctx;
    this.clientId = config.client_id || defaultClientId(ctx.agent, ctx.id);
    this.ready = new Promise((resolve) => this.#resolveReady = resolve);
    this.#topicMap = parseTopicLevels(config.topic_levels, "topic_levels");
    this.#skew = skewCheck(config);
  }

  handled(): number {
    return this.#handled;
  }

  async start(): Promise<void> {
    if (this.#client || this.#stopping) return;
    const c = this.#config;
    // The filters the broker's session holds from an earlier run, if any.
    const stored = parseSubscription(await this.#ctx.readCheckpoint(SUBSCRIPTION_CHECKPOINT));
    let sessionTopics = stored.topics;
    if (this.#stopping) return;
    const client = mqtt.connect(c.url, {
      ...mqttAuthTlsOptions(c, "mqtt"),
      clientId: this.clientId,
      clean: !c.persistent_session,
      protocolVersion: 4,
      keepalive: c.keepalive_s,
      reconnectPeriod: c.reconnect_ms,
      connectTimeout: 10_000,
      // Subscriptions live in the broker's session; subscribing again on every
      // reconnect would also replay retained messages.
      resubscribe: false,
    });
    // Set before the connection completes: with clean: false the broker sends
    // queued messages right after CONNACK (see PITFALLS.md). MQTT.js calls it
    // before the PUBACK and sends the PUBACK when `done` is called.
    client.handleMessage = (packet, done) => {
      const work = this.#onMessage(packet as IPublishPacket);
      this.#current = work;
      work.then(() => {
        // Not acknowledged when stopping before the commit: redelivered later.
        if (!this.#stopping || this.#committed) done();
      }, (error) => {
        // A bug, not bad data: count it and go on rather than stall the session.
        this.#ctx.log.error("mqtt input message handling failed", { error });
        this.#ctx.rejected("error");
        done();
      });
    };
    client.on("connect", (connack) => {
      this.#ctx.log.info("mqtt input connected", {
        url: c.url,
        client_id: this.clientId,
        session_present: connack.sessionPresent,
      });
      // Same filters at the same QoS: a QoS raised from 0 to 1 must subscribe
      // again, or the broker keeps delivering (and not queueing) at QoS 0.
      const wanted = JSON.stringify([...c.topics].sort());
      if (
        connack.sessionPresent && c.persistent_session && stored.qos === c.qos &&
        JSON.stringify([...sessionTopics].sort()) === wanted
      ) {
        this.#resolveReady();
        return;
      }
      // A new session, or `topics` changed since the session was made: drop
      // filters no longer configured, subscribe to the configured ones, and
      // remember them with the buffer's checkpoints.
      const removed = connack.sessionPresent
        ? sessionTopics.filter((t) => !c.topics.includes(t))
        : [];
      if (removed.length > 0) client.unsubscribe(removed);
      subscribe(0);
    });
    // Subscribes to the configured filters; a filter the broker refuses
    // (SUBACK failure code, e.g. its ACL denies the topic) is logged, counted
    // and subscribed again with backoff until granted: the ACL may be fixed.
    // A reconnect (new "connect") cancels the wait and starts over.
    const subscribe = (attempt: number): void => {
      clearTimeout(this.#subscribeTimer);
      // While offline the next "connect" subscribes (and starts over).
      if (this.#stopping || !client.connected) return;
      client.subscribe(c.topics, { qos: c.qos }, (error, granted) => {
        if (this.#stopping) return;
        // MQTT.js 5 reports a refusal as an error carrying the SUBACK (its
        // return codes in filter order); older paths give `granted` QoS >= 0x80.
        const suback = (error as { packet?: { granted?: unknown } } | null | undefined)?.packet;
        const codes = Array.isArray(suback?.granted)
          ? suback.granted as number[]
          : (granted ?? []).map((g) => g.qos);
        const refused = c.topics.map((topic, i) => ({ topic, qos: codes[i] ?? 0 }))
          .filter((g) => g.qos >= SUBACK_FAILURE);
        if (error || refused.length > 0) {
          const waitMs = backoffDelay(attempt, { initialMs: 500, maxMs: SUBSCRIBE_RETRY_MAX_MS });
          for (const g of refused) {
            this.#ctx.log.error("mqtt input subscription refused by the broker; retrying", {
              topic: g.topic,
              reason_code: `0x${g.qos.toString(16)}`,
              attempt,
              wait_ms: waitMs,
            });
          }
          if (error && refused.length === 0) {
            this.#ctx.log.error("mqtt input subscribe failed; retrying", {
              error,
              topics: c.topics,
              wait_ms: waitMs,
            });
          }
          this.#ctx.rejected("subscribe_refused", Math.max(1, refused.length));
          // Only a session holding every filter counts as subscribed.
          sessionTopics = [];
          this.#subscribeTimer = setTimeout(() => subscribe(attempt + 1), waitMs);
          return;
        }
        if (attempt > 0) {
          this.#ctx.log.info("mqtt input subscription granted", { topics: c.topics, attempt });
        }
        sessionTopics = [...c.topics];
        stored.qos = c.qos;
        if (!c.persistent_session) return this.#resolveReady();
        // Ready once stored, and stop() waits for it: a restart right after
        // must see which filters the session holds.
        this.#storing = this.#ctx.write("readings", [], {
          name: SUBSCRIPTION_CHECKPOINT,
          position: JSON.stringify({ topics: sessionTopics, qos: c.qos }),
        }).catch((error) => this.#ctx.log.warn("cannot store the subscription", { error }))
          .finally(() => this.#resolveReady());
      });
    };
    client.on("error", (error) => this.#ctx.log.warn("mqtt input error", { error }));
    client.on("offline", () => this.#ctx.log.warn("mqtt input offline", { url: c.url }));
    this.#client = client;
  }

  /** True when the current message's rows were committed (or it was refused for good). */
  #committed = false;

  async #onMessage(packet: IPublishPacket): Promise<void> {
    this.#committed = false;
    const payload = packet.payload instanceof Uint8Array
      ? packet.payload
      : new TextEncoder().encode(String(packet.payload));
    const result = decodePayload(payload, this.#topicMap(packet.topic), {
      format: this.#config.format,
      maxPayloadBytes: this.#config.max_payload_bytes,
      jsonPrecisionNs: PRECISIONS[this.#config.json_precision] ?? 1_000_000n,
      sensorTag: this.#config.sensor_tag,
      skew: this.#skew,
      recvTs: nowNs(),
    });
    let wait = 100;
    while (result.readings.length > 0) {
      try {
        await this.#ctx.write("readings", result.readings);
        break;
      } catch (error) {
        if (error instanceof PermanentError) {
          result.rejected.set(error.reason, (result.rejected.get(error.reason) ?? 0) + 1);
          break;
        }
        // Retryable (buffer full or closed): keep the message unacknowledged.
        if (this.#stopping) return;
        this.#ctx.log.warn("mqtt input write failed, retrying", { error, wait_ms: wait });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.#wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wakeRetry = undefined;
        if (this.#stopping) return;
        wait = Math.min(wait * 2, RETRY_MAX_MS);
      }
    }
    for (const [reason, count] of result.rejected) this.#ctx.rejected(reason, count);
    if (result.stringFields > 0) this.#ctx.rejected("string_field", result.stringFields);
    this.#committed = true;
    this.#handled++;
  }

  stop(): Promise<void> {
    return this.#stopped ??= (async () => {
      this.#stopping = true;
      this.#resolveReady();
      this.#wakeRetry?.();
      clearTimeout(this.#subscribeTimer);
      const client = this.#client;
      if (!client) return;
      await this.#current;
      await this.#storing;
      // Give the PUBACK of the last committed message a moment to leave.
      await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    })();
  }
}

/** The filters (and QoS) of the broker's session as stored by an earlier run. */
interface StoredSubscription {
  topics: string[];
  /** Unknown for a missing checkpoint or one stored before the QoS was kept. */
  qos: number | undefined;
}

/**
 * Reads the `subscription` checkpoint: `{"topics": [...], "qos": 1}`, or the
 * bare topic list of earlier versions (QoS unknown: subscribed again).
 * Absent or unreadable: no topics.
 */
function parseSubscription(text: string | undefined): StoredSubscription {
  const none = { topics: [], qos: undefined };
  if (text === undefined) return none;
  const isTopics = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((t) => typeof t === "string");
  try {
    const value: unknown = JSON.parse(text);
    if (isTopics(value)) return { topics: value, qos: undefined };
    if (
      typeof value === "object" && value !== null && "topics" in value && isTopics(value.topics)
    ) {
      const qos = "qos" in value && typeof value.qos === "number" ? value.qos : undefined;
      return { topics: value.topics, qos };
    }
  } catch {
    // Unreadable: as if absent.
  }
  return none;
}
