/**
 * `websocket`: a market feed over WebSocket (Deno's client). JSON messages are
 * mapped to trades and quotes through configurable field paths, buffered in
 * batches; the connection is re-opened with backoff and the subscribe
 * messages are sent again after every connect; gaps in sequence numbers are
 * detected and counted. Options and behaviour: README.md beside this file.
 *
 * @module
 */
import { PermanentError, RetryableError } from "@tributary/shared/errors";
import { type Kind, nowNs, type Quote, type Trade } from "@tributary/shared/records";
import { backoffDelay } from "../../backoff.ts";
import { EARLIEST_TS_NS, skewCheck } from "../processors/skew.ts";
import type { Input, InputContext, InputFactory } from "../input.ts";
import { defaultWebSocketConfig, validateWebSocketConfig, type WebSocketConfig } from "./config.ts";
import { type Mapped, MessageMapper } from "./mapping.ts";
import { SequenceTracker } from "./sequence.ts";

export type { WebSocketConfig } from "./config.ts";

/** Figures of one running input (this process only). */
export interface WebSocketStats {
  /** Connections opened. */
  connects: number;
  /** Times the input reconnected after losing (or failing to open) a connection. */
  reconnects: number;
  /** Subscribe messages sent, over all connections. */
  subscribes_sent: number;
  /** Messages received. */
  messages: number;
  /** Elements ignored (neither trade nor quote type, e.g. status messages). */
  ignored: number;
  /** Rows committed to the buffer, per kind. */
  rows: { trades: number; quotes: number };
  /** Sequence gaps seen and sequence numbers missing in them. */
  gaps: number;
  missing: number;
  /** Times a key's numbering restarted (a lower number with a newer event time). */
  sequence_resets: number;
  /** Rejected elements by reason. */
  rejected: Record<string, number>;
}

/** A running `websocket` input. */
export interface WebSocketInput extends Input {
  stats(): WebSocketStats;
  /** True while a connection is open and subscribed. */
  connected(): boolean;
}

/** The `websocket` input factory. */
export const websocket: InputFactory<WebSocketConfig, WebSocketInput> = {
  type: "websocket",
  defaultConfig: defaultWebSocketConfig,
  validate: validateWebSocketConfig,
  create: (config, ctx) => createWebSocketInput(config, ctx),
};

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Builds a `websocket` input; see {@linkcode websocket}. */
export function createWebSocketInput(config: WebSocketConfig, ctx: InputContext): WebSocketInput {
  const stats: WebSocketStats = {
    connects: 0,
    reconnects: 0,
    subscribes_sent: 0,
    messages: 0,
    ignored: 0,
    rows: { trades: 0, quotes: 0 },
    gaps: 0,
    missing: 0,
    sequence_resets: 0,
    rejected: {},
  };
  const mapper = new MessageMapper(
    config.mapping,
    skewCheck(config, { earliestNs: EARLIEST_TS_NS }),
  );
  const sequences = new SequenceTracker();
  const perSymbol = config.mapping.sequence_scope === "symbol";
  let pending: { trades: Trade[]; quotes: Quote[] } = { trades: [], quotes: [] };
  let pendingRows = 0;
  let socket: WebSocket | undefined;
  let open = false;
  let stopped = false;
  let running: Promise<void> | undefined;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> | undefined;
  let wakeSleep: (() => void) | undefined;

  const reject = (reason: string, n = 1) => {
    ctx.rejected(reason, n);
    stats.rejected[reason] = (stats.rejected[reason] ?? 0) + n;
  };

  const onMessage = (data: unknown) => {
    stats.messages++;
    let text: string;
    if (typeof data === "string") {
      // A text frame is valid UTF-8 already (the client checks it): its UTF-16
      // length is at most its byte length, so this bound is conservative.
      if (data.length > config.max_message_bytes) return reject("too_large");
      text = data;
    } else if (data instanceof ArrayBuffer) {
      if (data.byteLength > config.max_message_bytes) return reject("too_large");
      try {
        text = decoder.decode(data);
      } catch {
        return reject("bad_encoding");
      }
    } else return reject("bad_encoding");
    if (text.includes("\0")) return reject("bad_encoding");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return reject("bad_json");
    }
    const mapped: Mapped[] = [];
    mapper.map(value, nowNs(), mapped);
    for (const m of mapped) {
      if ("reject" in m) reject(m.reject);
      else if ("ignored" in m) stats.ignored++;
      else {
        if (m.seq !== undefined) {
          const verdict = sequences.check(perSymbol ? m.symbol : "", m.seq, m.row.ts);
          if (verdict === "duplicate") {
            reject("duplicate_sequence");
            continue;
          }
          if (verdict === "gap") {
            ctx.flagged?.("sequence_gap");
            ctx.log.warn("sequence gap", {
              symbol: perSymbol ? m.symbol : undefined,
              seq: m.seq,
              gaps: sequences.gaps,
              missing: sequences.missing,
            });
          }
          if (verdict === "reset") {
            ctx.flagged?.("sequence_reset");
            ctx.log.info("sequence numbering restarted", {
              symbol: perSymbol ? m.symbol : undefined,
              seq: m.seq,
            });
          }
          stats.gaps = sequences.gaps;
          stats.missing = sequences.missing;
          stats.sequence_resets = sequences.resets;
        }
        if (pendingRows >= config.max_pending_rows) {
          reject("backlog_full");
          continue;
        }
        if (m.kind === "trades") pending.trades.push(m.row);
        else pending.quotes.push(m.row);
        pendingRows++;
      }
    }
    scheduleFlush();
  };

  const scheduleFlush = () => {
    if (pendingRows === 0 || flushing !== undefined) return;
    if (pendingRows >= config.batch_rows) {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      flushing = flush().finally(() => {
        flushing = undefined;
        scheduleFlush();
      });
    } else {
      flushTimer ??= setTimeout(() => {
        flushTimer = undefined;
        flushing = flush().finally(() => {
          flushing = undefined;
          scheduleFlush();
        });
      }, config.flush_ms);
    }
  };

  /** Writes what is pending, kind by kind; on a retryable failure the rows go back in front. */
  const flush = async (attempts = Infinity) => {
    const batch = pending;
    pending = { trades: [], quotes: [] };
    pendingRows = 0;
    for (const kind of ["trades", "quotes"] as const) {
      const rows: (Trade | Quote)[] = batch[kind];
      for (let attempt = 0; rows.length > 0; attempt++) {
        try {
          await ctx.write(kind as Kind, rows as never[]);
          stats.rows[kind] += rows.length;
          break;
        } catch (error) {
          if (error instanceof PermanentError) {
            ctx.log.error("the buffer refused a batch; its rows are counted as rejected", {
              reason: error.reason,
              error: error.message,
              rows: rows.length,
            });
            reject(error.reason, rows.length);
            break;
          }
          // While stopping, a full buffer gets a few more tries, not forever.
          if (attempt + 1 >= attempts || (stopped && attempt >= 2)) {
            reject("shutdown", rows.length);
            ctx.log.error("rows could not be buffered before stopping", {
              rows: rows.length,
              error: String(error),
            });
            break;
          }
          const wait = backoffDelay(attempt, { initialMs: 100, maxMs: 5_000 });
          ctx.log.warn("buffer write failed; retrying", {
            reason: error instanceof RetryableError ? error.reason : "error",
            retry_in_ms: wait,
          });
          await sleep(wait, true);
        }
      }
    }
  };

  /** Sleeps `ms`; stop() cuts a reconnect wait short, but not a buffer retry (unless asked). */
  const sleep = (ms: number, uninterruptible = false) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (!uninterruptible) wakeSleep = undefined;
        resolve();
      }, ms);
      if (!uninterruptible) {
        wakeSleep = () => {
          clearTimeout(timer);
          wakeSleep = undefined;
          resolve();
        };
      }
    });

  /** Opens one connection and resolves when it is closed; true when it opened. */
  const connectOnce = () =>
    new Promise<boolean>((resolve) => {
      let opened = false;
      let lastMessageAt = performance.now();
      let idleTimer: ReturnType<typeof setInterval> | undefined;
      let ws: WebSocket;
      try {
        ws = new WebSocket(config.url);
      } catch (error) {
        ctx.log.error("cannot open the WebSocket", { url: config.url, error: String(error) });
        resolve(false);
        return;
      }
      socket = ws;
      ws.binaryType = "arraybuffer";
      // A handshake that never completes (a half-open link, a server that
      // accepts TCP but never answers) is given up like a silent connection.
      const handshakeTimer = config.idle_timeout_s > 0
        ? setTimeout(() => {
          ctx.log.warn("no handshake within idle_timeout_s; reconnecting", {
            idle_timeout_s: config.idle_timeout_s,
          });
          ws.close();
        }, config.idle_timeout_s * 1000)
        : undefined;
      ws.onopen = () => {
        clearTimeout(handshakeTimer);
        opened = true;
        open = true;
        stats.connects++;
        for (const message of config.subscribe) {
          ws.send(expandEnv(message));
          stats.subscribes_sent++;
        }
        ctx.log.info("connected and subscribed", {
          url: config.url,
          subscribe: config.subscribe.length,
        });
        if (config.idle_timeout_s > 0) {
          const idleMs = config.idle_timeout_s * 1000;
          idleTimer = setInterval(() => {
            if (performance.now() - lastMessageAt > idleMs) {
              ctx.log.warn("no message within idle_timeout_s; reconnecting", {
                idle_timeout_s: config.idle_timeout_s,
              });
              ws.close(4000, "idle");
            }
          }, Math.min(1000, idleMs / 4));
        }
      };
      ws.onmessage = (event) => {
        lastMessageAt = performance.now();
        onMessage(event.data);
      };
      ws.onerror = (event) => {
        const message = event instanceof ErrorEvent ? event.message : "error";
        if (!stopped) ctx.log.warn("WebSocket error", { url: config.url, error: message });
      };
      ws.onclose = (event) => {
        clearTimeout(handshakeTimer);
        clearInterval(idleTimer);
        open = false;
        socket = undefined;
        if (!stopped) {
          ctx.log.warn("WebSocket closed", {
            url: config.url,
            code: event.code,
            reason: event.reason,
          });
        }
        resolve(opened);
      };
    });

  const run = async () => {
    for (let attempt = 0; !stopped;) {
      const opened = await connectOnce();
      if (stopped) break;
      attempt = opened ? 0 : attempt + 1;
      stats.reconnects++;
      const wait = backoffDelay(attempt, {
        initialMs: config.reconnect_initial_ms,
        maxMs: config.reconnect_max_ms,
      });
      ctx.log.info("reconnecting", { url: config.url, in_ms: wait });
      await sleep(wait);
    }
  };

  const expandEnv = (message: string) =>
    message.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const value = Deno.env.get(name);
      if (value === undefined) ctx.log.warn("subscribe message names an unset variable", { name });
      return value ?? "";
    });

  return {
    stats: () => stats,
    connected: () => open,
    start() {
      if (!stopped) running ??= run();
      return Promise.resolve();
    },
    async stop() {
      stopped = true;
      wakeSleep?.();
      if (socket !== undefined && socket.readyState !== WebSocket.CLOSED) {
        try {
          socket.close(1000, "stopping");
        } catch {
          // already closing
        }
      }
      await running;
      clearTimeout(flushTimer);
      flushTimer = undefined;
      await flushing;
      // Drain: what arrived before the close is written (a few attempts at most).
      if (pendingRows > 0) await flush(3);
    },
  };
}
