/**
 * One MQTT message → readings and rejections, by payload format:
 * - `json`: one object or an array of objects (see ../http/json_readings.ts);
 *   sensor, metric, unit and tags missing from an object come from the topic;
 * - `line_protocol`: one or more lines (see ../http/line_protocol.ts), topic
 *   tags added to every reading;
 * - `value`: a bare number (`21.5`) or boolean, sensor and metric from the topic.
 *
 * Rejection reasons: `too_large`, `bad_encoding` (invalid UTF-8 or a NUL
 * byte), `bad_record` (JSON), `bad_line` (line protocol), `bad_value`,
 * `no_numeric_field`, `clock_skew`, `unmapped_topic` (format `value`, a
 * topic too short to name sensor and metric).
 *
 * @module
 */
import type { Reading } from "@tributary/shared/records";
import { parseLineProtocolBody } from "../http/body.ts";
import { jsonToReadings } from "../http/json_readings.ts";
import type { SkewCheck } from "../processors/skew.ts";
import type { PayloadFormat } from "./config.ts";
import type { TopicFields } from "./topic_map.ts";

/** Options of {@linkcode decodePayload}. */
export interface PayloadOptions {
  format: PayloadFormat;
  maxPayloadBytes: number;
  /** ns per unit of numeric JSON `ts`. */
  jsonPrecisionNs: bigint;
  sensorTag: string;
  skew: SkewCheck;
  recvTs: bigint;
}

/** What one message yielded. */
export interface PayloadResult {
  readings: Reading[];
  /** Rejected records by reason. */
  rejected: Map<string, number>;
  /** Non-numeric fields skipped next to numeric ones. */
  stringFields: number;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes one payload; never throws on bad content. */
export function decodePayload(
  payload: Uint8Array,
  topic: TopicFields,
  options: PayloadOptions,
): PayloadResult {
  const result: PayloadResult = { readings: [], rejected: new Map(), stringFields: 0 };
  const reject = (reason: string, count = 1) =>
    result.rejected.set(reason, (result.rejected.get(reason) ?? 0) + count);
  if (payload.length > options.maxPayloadBytes) {
    reject("too_large");
    return result;
  }
  if (options.format === "line_protocol") {
    const body = parseLineProtocolBody(payload, {
      maxLineBytes: options.maxPayloadBytes,
      precisionNs: 1n,
      recvTs: options.recvTs,
      skew: options.skew,
      sensorTag: options.sensorTag,
      extraTags: topic.tags,
    });
    for (const r of body.rejected) reject(r.reason);
    result.readings = body.readings;
    result.stringFields = body.stringFields;
    return result;
  }
  let text: string;
  try {
    text = strictUtf8.decode(payload);
  } catch {
    reject("bad_encoding");
    return result;
  }
  if (text.includes("\0")) {
    reject("bad_encoding");
    return result;
  }
  if (options.format === "value") {
    if (topic.sensor === undefined || topic.metric === undefined) {
      reject("unmapped_topic");
      return result;
    }
    const trimmed = text.trim();
    const value = trimmed === "true" ? 1 : trimmed === "false" ? 0 : Number(trimmed);
    if (trimmed === "" || !Number.isFinite(value)) {
      reject("bad_value");
      return result;
    }
    result.readings.push({
      ts: options.recvTs,
      recv_ts: options.recvTs,
      sensor: topic.sensor,
      metric: topic.metric,
      value,
      unit: topic.unit ?? "",
      tags: JSON.stringify(topic.tags),
    });
    return result;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    reject("bad_record");
    return result;
  }
  for (const item of Array.isArray(doc) ? doc : [doc]) {
    const r = jsonToReadings(item, topic, {
      precisionNs: options.jsonPrecisionNs,
      recvTs: options.recvTs,
      skew: options.skew,
    });
    if (!r.ok) reject(r.reason);
    else {
      result.stringFields += r.stringFields;
      for (const reading of r.readings) result.readings.push(reading);
    }
  }
  return result;
}
