/**
 * Configuration of the MQTT consumer: the `[mqtt]` section of the hub config.
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import { readInt, readString, readTable, rejectUnknownKeys } from "@tributary/shared/config/fields";
import { BATCH_TOPIC_FILTER, TOPIC_PREFIX } from "@tributary/shared/topics";
import { KINDS } from "@tributary/shared/records";
import {
  defaultMqttConnection,
  type MqttConnectionOptions,
  readMqttConnection,
} from "@tributary/shared/mqtt/connection";

/**
 * The validated `[mqtt]` section: the shared connection options and the
 * consumer's own. `url` defaults to "" (the hub's embedded broker);
 * `client_id` defaults to "tributary-hub", fixed so the broker keeps the
 * session (clean: false) across restarts.
 */
export interface MqttConsumerConfig extends MqttConnectionOptions {
  /** How long `start()` waits for the first connection and subscription, in ms. @default 30000 */
  connect_timeout_ms: number;
  /**
   * MQTT shared-subscription group: with a group, hubs in it split the agents'
   * batches (`$share/<group>/...`, docs/scaling.md). "" subscribes plainly:
   * this hub gets every batch. Needs an external broker (not aedes). @default ""
   */
  shared_group: string;
}

/** The `[mqtt]` defaults. */
export function defaultMqttConfig(): MqttConsumerConfig {
  return {
    ...defaultMqttConnection({ url: "", client_id: "tributary-hub" }),
    connect_timeout_ms: 30_000,
    shared_group: "",
  };
}

/**
 * Validates an `[mqtt]` table merged over {@linkcode defaultMqttConfig}.
 *
 * @throws {ConfigError} naming `<field>.<key>`, the value and what is allowed.
 */
export function validateMqttConfig(raw: unknown, field: string): MqttConsumerConfig {
  const d = defaultMqttConfig();
  const t = readTable(raw, field);
  rejectUnknownKeys(t, Object.keys(d), field);
  const config: MqttConsumerConfig = {
    ...readMqttConnection(t, field, d, { emptyUrlMeans: "embedded broker" }),
    connect_timeout_ms: readInt(
      t.connect_timeout_ms,
      `${field}.connect_timeout_ms`,
      d.connect_timeout_ms,
      { min: 1 },
    ),
    shared_group: readString(t.shared_group, `${field}.shared_group`, d.shared_group),
  };
  validateSharedGroup(config, field);
  // MQTT 3.1.1 guarantees brokers accept 1-23 characters; most accept more, so bound it loosely.
  if (config.client_id.length < 1 || config.client_id.length > 256) {
    throw new ConfigError(`${field}.client_id`, config.client_id, "1 to 256 characters");
  }
  return config;
}

/** Characters MQTT forbids in a share name (MQTT 5, 4.8.2): level separator and wildcards. */
const FORBIDDEN_IN_GROUP = /[/+#]/;

function validateSharedGroup(config: MqttConsumerConfig, field: string): void {
  const group = config.shared_group;
  if (group === "") return;
  if (FORBIDDEN_IN_GROUP.test(group) || group.length > 256) {
    throw new ConfigError(
      `${field}.shared_group`,
      group,
      'a name of 1 to 256 characters without "/", "+" or "#" (or "" for no group)',
    );
  }
  // aedes has no shared subscriptions (moscajs/aedes#228, still open): it would treat
  // `$share/...` as an ordinary topic filter that no agent publishes to, and the hub would hear nothing.
  if (config.url === "") {
    throw new ConfigError(
      `${field}.shared_group`,
      group,
      `"" while ${field}.url is empty: the embedded broker (aedes) has no shared subscriptions; ` +
        `set ${field}.url to a broker that has them (Mosquitto 2, EMQX, HiveMQ)`,
    );
  }
}

/**
 * The topic filters the consumer subscribes to, all QoS 1.
 *
 * Without a group: {@linkcode BATCH_TOPIC_FILTER}, which also brings every
 * agent's heartbeats (and the hub's own acks, ignored).
 *
 * With a group: `$share/<group>/tributary/v1/+/<kind>` per stream kind, so the
 * group's hubs split the batches, plus the plain `tributary/v1/+/heartbeat`, so
 * every hub still sees every agent's heartbeats: each hub answers
 * `/api/v1/agents` and its fleet gauges from its own store, and a hub that got
 * only a share of an agent's heartbeats would call it stale between them.
 * Filters per kind rather than `+/+` keep the shared and the plain filter
 * disjoint (a heartbeat is delivered once, not once per matching subscription)
 * and keep the hubs' acks away from the hubs.
 */
export function subscriptionFilters(config: Pick<MqttConsumerConfig, "shared_group">): string[] {
  if (config.shared_group === "") return [BATCH_TOPIC_FILTER];
  return [
    ...KINDS.map((kind) => `$share/${config.shared_group}/${TOPIC_PREFIX}/+/${kind}`),
    `${TOPIC_PREFIX}/+/heartbeat`,
  ];
}
