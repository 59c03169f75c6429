/**
 * `http`: a local push endpoint for sensor data. InfluxDB line protocol on
 * `POST /write` (v1: `db`, `precision`) and `POST /api/v2/write` (v2:
 * `bucket`, `precision`), as InfluxDB clients and Telegraf's
 * `outputs.influxdb` send it, gzip bodies included; JSON or NDJSON readings
 * on `POST /readings`; `GET|HEAD /ping` answers 204 for clients that probe.
 *
 * A request is answered only after its rows are committed to the buffer:
 * 204 when every line was kept, 400 when some were rejected (JSON body naming
 * each rejected line, its reason, and the lines kept), 413 for a body over
 * `max_body_bytes` (nothing kept), 503 with `Retry-After` when the buffer
 * cannot take the rows now (nothing kept: the client retries the body).
 * Options and the mapping to readings: README.md beside this file.
 *
 * @module
 */
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { formatListen } from "@tributary/shared/config/fields";
import { nowNs, type Reading } from "@tributary/shared/records";
import type { Input, InputContext, InputFactory } from "../input.ts";
import { skewCheck } from "../processors/skew.ts";
import { forEachLine, lineRanges, type LineRejection } from "./body.ts";
import { parseLineProtocolBody } from "./body.ts";
import { defaultHttpInputConfig, type HttpInputConfig, validateHttpInputConfig } from "./config.ts";
import { jsonToReadings } from "./json_readings.ts";
import { PRECISIONS } from "./line_protocol.ts";

export { defaultHttpInputConfig, type HttpInputConfig } from "./config.ts";

/** A running `http` input. */
export interface HttpInput extends Input {
  /** `http://host:port` actually bound (after `start()`); port 0 resolved. */
  readonly url: string;
}

/** Most rejected lines listed in a 400 response (all are counted). */
export const MAX_LISTED_REJECTIONS = 100;

/** The `http` input factory. */
export const httpInput: InputFactory<HttpInputConfig, HttpInput> = {
  type: "http",
  defaultConfig: defaultHttpInputConfig,
  validate: validateHttpInputConfig,
  create: (config, ctx) => new HttpPushInput(config, ctx),
};

/** The body could not be read whole: answer with this status. */
class BodyError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
  }
}

/** Outcome of one request's records, before the write. */
interface Parsed {
  readings: Reading[];
  rejected: LineRejection[];
  kept: number[];
  stringFields: number;
}

class HttpPushInput implements HttpInput {
  readonly #config: HttpInputConfig;
  readonly #ctx: InputContext;
  readonly #skew;
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #url = "";
  #stopping: Promise<void> | undefined;
  /** Free request slots, and requests waiting for one (see max_inflight_requests). */
  #freeSlots: number;
  readonly #waiting: (() => void)[] = [];

  constructor(config: HttpInputConfig, ctx: InputContext) {
    this.#config = config;
    this.#ctx = ctx;
    this.#skew = skewCheck(config);
    this.#freeSlots = config.max_inflight_requests;
  }

  get url(): string {
    return this.#url;
  }

  start(): Promise<void> {
    if (this.#server || this.#stopping) return Promise.resolve();
    const { hostname, port } = this.#config.address;
    return new Promise((resolve, reject) => {
      try {
        this.#server = Deno.serve({
          hostname,
          port,
          onListen: (addr) => {
            this.#url = `http://${formatListen({ hostname: addr.hostname, port: addr.port })}`;
            this.#ctx.log.info("http input listening", { url: this.#url });
            resolve();
          },
          onError: (error) => {
            this.#ctx.log.error("http input handler failed", { error });
            return json(500, { error: "internal error" });
          },
        }, (req) => this.#handle(req));
      } catch (error) {
        reject(error);
      }
    });
  }

  stop(): Promise<void> {
    // shutdown() lets requests in flight finish: their writes complete first.
    return this.#stopping ??= this.#server?.shutdown() ?? Promise.resolve();
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname.replace(/\/+$/, "") || "/";
    if (path === "/ping" && (req.method === "GET" || req.method === "HEAD")) {
      await req.body?.cancel();
      return new Response(null, {
        status: 204,
        headers: { "X-Influxdb-Version": "1.8-tributary", "X-Influxdb-Build": "OSS" },
      });
    }
    const isWrite = path === "/write" || path === "/api/v2/write";
    if (!isWrite && path !== "/readings") {
      await req.body?.cancel();
      return json(404, { error: `no such endpoint: ${req.method} ${path}` });
    }
    if (req.method !== "POST") {
      await req.body?.cancel();
      return json(405, { error: `use POST ${path}` });
    }
    const precisionName = url.searchParams.get("precision") ??
      (isWrite ? "ns" : this.#config.json_precision);
    const precisionNs = PRECISIONS[precisionName];
    if (precisionNs === undefined) {
      await req.body?.cancel();
      // A whole body refused (its lines unread): counted once, like a 413.
      this.#ctx.rejected("bad_precision");
      return json(400, {
        error: `precision: got "${precisionName}", expected one of ${
          Object.keys(PRECISIONS).join(", ")
        }`,
      });
    }
    if (this.#freeSlots > 0) this.#freeSlots--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await this.#ingest(req, url, isWrite, precisionNs);
    } finally {
      // Hand the slot straight to the next waiting request, if any.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#freeSlots++;
    }
  }

  async #ingest(req: Request, url: URL, isWrite: boolean, precisionNs: bigint): Promise<Response> {
    let body: Uint8Array;
    try {
      body = await this.#readBody(req);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      this.#ctx.rejected(error.reason);
      return json(error.status, { error: error.message });
    }
    const recvTs = nowNs();
    const extraTags: Record<string, string> = {};
    const db = url.searchParams.get("db") ?? url.searchParams.get("bucket");
    if (this.#config.db_tag && db) extraTags[this.#config.db_tag] = db;
    const parsed = isWrite
      ? parseLineProtocolBody(body, {
        maxLineBytes: this.#config.max_line_bytes,
        precisionNs,
        recvTs,
        skew: this.#skew,
        sensorTag: this.#config.sensor_tag,
        extraTags,
      })
      : this.#parseJsonBody(body, precisionNs, recvTs, extraTags);
    return await this.#commit(parsed);
  }

  /** Writes the kept rows, then counts and reports the rejected ones. */
  async #commit(parsed: Parsed): Promise<Response> {
    if (parsed.readings.length > 0) {
      try {
        await this.#ctx.write("readings", parsed.readings);
      } catch (error) {
        if (error instanceof RetryableError) {
          // Nothing was written or counted: the client sends the body again later.
          return json(503, { error: `buffer busy (${error.reason}): retry` }, {
            "Retry-After": "1",
          });
        }
        if (error instanceof PermanentError) {
          // Nothing was written and a retry would fail the same way: every
          // line of the body is rejected, the bad ones under their own reason.
          this.#countRejections(parsed);
          this.#ctx.rejected(error.reason, parsed.kept.length);
          return json(400, {
            error: `rows refused (${error.reason}): ${error.message}`,
            kept_lines: "",
            rejected_count: parsed.rejected.length + parsed.kept.length,
            rejected: parsed.rejected.slice(0, MAX_LISTED_REJECTIONS),
          });
        }
        throw error;
      }
    }
    this.#countRejections(parsed);
    if (parsed.stringFields > 0) this.#ctx.rejected("string_field", parsed.stringFields);
    if (parsed.rejected.length === 0) return new Response(null, { status: 204 });
    return json(400, {
      error:
        `partial write: ${parsed.rejected.length} line(s) rejected, ${parsed.kept.length} kept`,
      kept_lines: lineRanges(parsed.kept),
      rejected_count: parsed.rejected.length,
      rejected: parsed.rejected.slice(0, MAX_LISTED_REJECTIONS),
    });
  }

  /** Counts the body's rejected lines by reason. */
  #countRejections(parsed: Parsed): void {
    const byReason = new Map<string, number>();
    for (const r of parsed.rejected) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
    for (const [reason, count] of byReason) this.#ctx.rejected(reason, count);
  }

  /** JSON array, one object, or NDJSON; rejections numbered by record (array) or line. */
  #parseJsonBody(
    body: Uint8Array,
    precisionNs: bigint,
    recvTs: bigint,
    tags: Record<string, string>,
  ): Parsed {
    const parsed: Parsed = { readings: [], rejected: [], kept: [], stringFields: 0 };
    const take = (value: unknown, number: number) => {
      const result = jsonToReadings(value, { tags }, { precisionNs, recvTs, skew: this.#skew });
      if (!result.ok) {
        parsed.rejected.push({ line: number, reason: result.reason, message: result.message });
      } else {
        parsed.kept.push(number);
        parsed.stringFields += result.stringFields;
        for (const r of result.readings) parsed.readings.push(r);
      }
    };
    const first = body.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
    if (first === 0x5b /* [ */ || first === 0x7b /* { */) {
      // A whole JSON document (array or pretty-printed object)?
      let doc: unknown;
      let isDoc = false;
      try {
        doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
        isDoc = true;
      } catch {
        // Not one document: NDJSON below, line by line.
      }
      if (isDoc && Array.isArray(doc)) {
        doc.forEach((value, i) => take(value, i + 1));
        return parsed;
      }
      if (isDoc && (body.length > this.#config.max_line_bytes)) {
        parsed.rejected.push({
          line: 1,
          reason: "too_large",
          message: `a single record longer than ${this.#config.max_line_bytes} bytes`,
        });
        return parsed;
      }
      if (isDoc) {
        take(doc, 1);
        return parsed;
      }
    }
    forEachLine(body, this.#config.max_line_bytes, (line, number) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        parsed.rejected.push({
          line: number,
          reason: "bad_record",
          message: `not JSON: ${error instanceof Error ? error.message : String(error)}`,
        });
        return;
      }
      take(value, number);
    }, (line, reason, message) => parsed.rejected.push({ line, reason, message }));
    return parsed;
  }

  /** The whole body, gunzipped if so encoded, at most `max_body_bytes`. */
  async #readBody(req: Request): Promise<Uint8Array> {
    const max = this.#config.max_body_bytes;
    const tooLarge = () =>
      new BodyError(413, "too_large", `request body larger than ${max} bytes (max_body_bytes)`);
    const declared = Number(req.headers.get("content-length") ?? "NaN");
    if (Number.isFinite(declared) && declared > max) {
      await req.body?.cancel();
      throw tooLarge();
    }
    const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
    if (encoding !== "identity" && encoding !== "gzip") {
      await req.body?.cancel();
      throw new BodyError(415, "bad_encoding", `Content-Encoding "${encoding}" not supported`);
    }
    if (req.body === null) return new Uint8Array(0);
    const stream = encoding === "gzip"
      ? req.body.pipeThrough(new DecompressionStream("gzip"))
      : req.body;
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = stream.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        // Checked while reading: a small gzip body may inflate to gigabytes.
        if (size > max) {
          await reader.cancel();
          throw tooLarge();
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof BodyError) throw error;
      // The decompressor fails with a TypeError (not gzip, corrupt, truncated):
      // the data is bad. Anything else is the connection failing mid-body (a
      // client that went away): nothing of it is kept, under its own reason.
      if (error instanceof TypeError) {
        throw new BodyError(400, "bad_encoding", `cannot read the body: ${String(error)}`);
      }
      throw new BodyError(400, "client_aborted", `the request body broke off: ${String(error)}`);
    } finally {
      reader.releaseLock();
    }
    if (chunks.length === 1) return chunks[0]!;
    const body = new Uint8Array(size);
    let offset = 0;
    for (const c of chunks) {
      body.set(c, offset);
      offset += c.length;
    }
    return body;
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}
