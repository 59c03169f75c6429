/**
 * `syslog`: receives syslog messages (RFC 5424 and RFC 3164) over UDP (one
 * datagram per message) and TCP (octet-counted or newline-framed, RFC 6587)
 * and writes them to the `logs` stream. Options and behaviour: README.md
 * beside this file.
 *
 * Syslog has no acknowledgement, so "acknowledge after commit" becomes
 * back-pressure: while the buffer refuses writes and the queue is full, TCP
 * connections are not read (the sender's socket fills and it slows down);
 * UDP messages beyond the queue are rejected as `queue_full` and counted.
 *
 * @module
 */
import dgram from "node:dgram";
import { formatListen, type ListenAddress } from "@tributary/shared/config/fields";
import { type LogLine, nowNs } from "@tributary/shared/records";
import type { Input, InputContext, InputFactory } from "../input.ts";
import { decodeText } from "../tail/text.ts";
import { skewCheck } from "../processors/skew.ts";
import {
  defaultSyslogConfig,
  parseListen,
  type SyslogConfig,
  validateSyslogConfig,
} from "./config.ts";
import { SyslogFrameDecoder } from "./framing.ts";
import {
  FACILITIES,
  parseSyslog,
  SEVERITIES,
  SEVERITY_LEVELS,
  type SyslogMessage,
} from "./parse.ts";
import { RowQueue } from "./row_queue.ts";

export { defaultSyslogConfig, type SyslogConfig, validateSyslogConfig } from "./config.ts";

/** A running syslog input. */
export interface SyslogInput extends Input {
  /** The bound addresses (ports resolved when 0 was configured); known after `start()`. */
  addresses(): { udp?: ListenAddress; tcp?: ListenAddress };
}

/** The `syslog` input factory. */
export const syslog: InputFactory<SyslogConfig, SyslogInput> = {
  type: "syslog",
  defaultConfig: defaultSyslogConfig,
  validate: validateSyslogConfig,
  create: (config, ctx) => createSyslogInput(config, ctx),
};

/** Where a message came from, for its `fields`. */
interface Origin {
  transport: "udp" | "tcp";
  peer: string;
}

/**
 * Turns one received message into a row, or counts why not: `too_large`,
 * `binary`, `invalid_utf8`, `malformed`, `clock_skew`.
 */
export function messageToRow(
  bytes: Uint8Array,
  origin: Origin,
  config: SyslogConfig,
  ctx: Pick<InputContext, "rejected">,
): LogLine | undefined {
  if (bytes.length > config.max_message_bytes) {
    ctx.rejected("too_large");
    return undefined;
  }
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0)) {
    end--;
  }
  const decoded = decodeText(bytes.subarray(0, end), { allowNewline: true });
  if (!decoded.ok) {
    ctx.rejected(decoded.reason);
    return undefined;
  }
  const recvTs = nowNs();
  const parsed = parseSyslog(decoded.text, Number(recvTs / 1_000_000n));
  if (!parsed.ok) {
    ctx.rejected(parsed.reason);
    return undefined;
  }
  const message = parsed.value;
  if (message.tsNs !== undefined && skewCheck(config).skewed(message.tsNs, recvTs)) {
    ctx.rejected("clock_skew");
    return undefined;
  }
  return {
    ts: message.tsNs ?? recvTs,
    recv_ts: recvTs,
    source: config.source !== "" ? config.source : message.app !== "" ? message.app : "syslog",
    level: SEVERITY_LEVELS[message.severity]!,
    message: message.message,
    fields: JSON.stringify(messageFields(message, origin)),
  };
}

function messageFields(m: SyslogMessage, origin: Origin): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    facility: FACILITIES[m.facility] ?? String(m.facility),
    severity: SEVERITIES[m.severity],
    format: m.format,
    transport: origin.transport,
    peer: origin.peer,
  };
  if (m.hostname !== "") fields.host = m.hostname;
  if (m.app !== "") fields.app = m.app;
  if (m.procid !== "") fields.procid = m.procid;
  if (m.msgid !== "") fields.msgid = m.msgid;
  if (Object.keys(m.structured).length > 0) fields.sd = m.structured;
  return fields;
}

function createSyslogInput(config: SyslogConfig, ctx: InputContext): SyslogInput {
  const queue = new RowQueue(ctx, {
    batchRows: config.batch_rows,
    flushMs: config.flush_ms,
    maxRows: config.max_queue_rows,
  });
  let udp: dgram.Socket | undefined;
  let listener: Deno.TcpListener | undefined;
  const connections = new Set<Deno.TcpConn>();
  const tasks = new Set<Promise<void>>();
  const bound: { udp?: ListenAddress; tcp?: ListenAddress } = {};
  let stopped = false;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  const track = (task: Promise<void>) => {
    tasks.add(task);
    task.finally(() => tasks.delete(task));
  };

  const onDatagram = (msg: Uint8Array, peer: string) => {
    if (stopped) return;
    if (queue.full) {
      ctx.rejected("queue_full");
      return;
    }
    const row = messageToRow(msg, { transport: "udp", peer }, config, ctx);
    if (row) queue.push([row]);
  };

  const serveConnection = async (conn: Deno.TcpConn) => {
    const remote = conn.remoteAddr;
    const peer = `${remote.hostname}:${remote.port}`;
    const decoder = new SyslogFrameDecoder(config.max_message_bytes);
    const chunk = new Uint8Array(64 * 1024);
    const take = (frames: ReturnType<SyslogFrameDecoder["push"]>) => {
      const rows: LogLine[] = [];
      for (const frame of frames) {
        if (frame.kind === "too_large") {
          ctx.rejected("too_large");
          continue;
        }
        const row = messageToRow(frame.bytes, { transport: "tcp", peer }, config, ctx);
        if (row) rows.push(row);
      }
      queue.push(rows);
    };
    try {
      while (!stopped) {
        // Back-pressure: stop reading while the queue is full (the buffer refuses).
        if (queue.full) await queue.room();
        const n = await conn.read(chunk);
        if (n === null) break;
        take(decoder.push(chunk.subarray(0, n)));
      }
      if (!stopped) take(decoder.end());
    } catch (error) {
      if (!stopped) ctx.log.debug("syslog connection ended", { peer, error: String(error) });
    } finally {
      connections.delete(conn);
      try {
        conn.close();
      } catch { /* closed by stop() */ }
    }
  };

  const acceptLoop = async (l: Deno.TcpListener) => {
    try {
      for await (const conn of l) {
        if (stopped) {
          conn.close();
          break;
        }
        if (connections.size >= config.max_connections) {
          ctx.log.warn("too many syslog connections; closing the new one", {
            max_connections: config.max_connections,
          });
          conn.close();
          continue;
        }
        connections.add(conn);
        track(serveConnection(conn));
      }
    } catch (error) {
      if (!stopped) ctx.log.error("syslog TCP listener failed", { error: String(error) });
    }
  };

  const startUdp = async (address: ListenAddress) => {
    const socket = dgram.createSocket(address.hostname.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(address.port, address.hostname, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    socket.on(
      "error",
      (error) => ctx.log.error("syslog UDP socket error", { error: String(error) }),
    );
    socket.on("message", (msg, rinfo) => onDatagram(msg, `${rinfo.address}:${rinfo.port}`));
    udp = socket;
    const a = socket.address();
    bound.udp = { hostname: a.address, port: a.port };
  };

  const start = async () => {
    const udpAddress = parseListen(config.udp_listen, "udp_listen");
    const tcpAddress = parseListen(config.tcp_listen, "tcp_listen");
    if (udpAddress) await startUdp(udpAddress);
    if (tcpAddress && !stopped) {
      listener = Deno.listen({ hostname: tcpAddress.hostname, port: tcpAddress.port });
      const a = listener.addr as Deno.NetAddr;
      bound.tcp = { hostname: a.hostname, port: a.port };
      track(acceptLoop(listener));
    }
    ctx.log.info("syslog listening", {
      udp: bound.udp && formatListen(bound.udp),
      tcp: bound.tcp && formatListen(bound.tcp),
    });
  };

  const stop = async () => {
    stopped = true;
    await starting?.catch(() => {});
    try {
      listener?.close();
    } catch { /* already closed */ }
    for (const conn of connections) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    if (udp) {
      const socket = udp;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
    await Promise.all([...tasks]);
    await queue.close();
  };

  return {
    addresses: () => ({ ...bound }),
    start() {
      if (stopped) return Promise.resolve();
      return starting ??= start();
    },
    stop: () => stopping ??= stop(),
  };
}
