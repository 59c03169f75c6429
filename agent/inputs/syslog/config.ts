/**
 * Options of the `syslog` input and their validation. Defaults and meaning:
 * README.md beside this file (and sample.toml, which a test keeps equal to
 * {@linkcode defaultSyslogConfig}).
 *
 * @module
 */
import { ConfigError } from "@tributary/shared/errors";
import {
  type ListenAddress,
  readInt,
  readListen,
  readString,
  readTable,
  rejectUnknownKeys,
} from "@tributary/shared/config/fields";
import { defaultSkewWindow, readSkewWindow } from "../processors/skew.ts";

/** Config of a `syslog` input. */
export interface SyslogConfig {
  /** UDP listen address `host:port`; "" = no UDP. @default "127.0.0.1:5514" */
  udp_listen: string;
  /** TCP listen address `host:port`; "" = no TCP. @default "127.0.0.1:5514" */
  tcp_listen: string;
  /** Longer messages are rejected as `too_large` (TCP: skipped without holding them). @default 65536 */
  max_message_bytes: number;
  /** Most open TCP connections; more are closed at once. @default 256 */
  max_connections: number;
  /** Most rows per buffer write. @default 1000 */
  batch_rows: number;
  /** A partial batch is written after this long, in ms. @default 100 */
  flush_ms: number;
  /**
   * Most rows held while the buffer refuses writes. TCP connections stop
   * being read (the sender is slowed down); UDP messages beyond it are
   * rejected as `queue_full`. @default 100000
   */
  max_queue_rows: number;
  /** Messages timed more than this ahead of the agent clock are rejected (`clock_skew`); 0 = no limit. @default 300 */
  max_future_s: number;
  /** Messages timed more than this behind the agent clock are rejected (`clock_skew`); 0 = no limit. @default 604800 */
  max_past_s: number;
  /** `source` column of the rows; "" = the message's APP-NAME / tag, else "syslog". @default "" */
  source: string;
}

/** The defaults of {@linkcode SyslogConfig}. */
export function defaultSyslogConfig(): SyslogConfig {
  return {
    udp_listen: "127.0.0.1:5514",
    tcp_listen: "127.0.0.1:5514",
    max_message_bytes: 65536,
    max_connections: 256,
    batch_rows: 1000,
    flush_ms: 100,
    max_queue_rows: 100000,
    ...defaultSkewWindow(),
    source: "",
  };
}

const KEYS = ["type", ...Object.keys(defaultSyslogConfig())];
const LISTEN_ALLOWED = '"" (off) or an address "host:port" with a port from 0 to 65535';

/** Parses a listen option; `undefined` when it is "" (off). */
export function parseListen(value: string, field: string): ListenAddress | undefined {
  return value === "" ? undefined : readListen(value, field, value, { allowed: LISTEN_ALLOWED });
}

/**
 * Validates an untrusted `[[inputs]]` table of type `syslog`.
 *
 * @throws {ConfigError} naming the field, the value and what is allowed.
 */
export function validateSyslogConfig(raw: unknown, field: string): SyslogConfig {
  const table = readTable(raw, field);
  rejectUnknownKeys(table, KEYS, field);
  const d = defaultSyslogConfig();
  const udp = readString(table.udp_listen, `${field}.udp_listen`, d.udp_listen);
  const tcp = readString(table.tcp_listen, `${field}.tcp_listen`, d.tcp_listen);
  parseListen(udp, `${field}.udp_listen`);
  parseListen(tcp, `${field}.tcp_listen`);
  if (udp === "" && tcp === "") {
    throw new ConfigError(
      `${field}.udp_listen`,
      udp,
      "an address: udp_listen and tcp_listen are both off",
    );
  }
  return {
    udp_listen: udp,
    tcp_listen: tcp,
    max_message_bytes: readInt(
      table.max_message_bytes,
      `${field}.max_message_bytes`,
      d.max_message_bytes,
      { min: 480, max: 16 * 1024 * 1024 },
    ),
    max_connections: readInt(table.max_connections, `${field}.max_connections`, d.max_connections, {
      min: 1,
      max: 100_000,
    }),
    batch_rows: readInt(table.batch_rows, `${field}.batch_rows`, d.batch_rows, {
      min: 1,
      max: 1_000_000,
    }),
    flush_ms: readInt(table.flush_ms, `${field}.flush_ms`, d.flush_ms, { min: 1, max: 60_000 }),
    max_queue_rows: readInt(table.max_queue_rows, `${field}.max_queue_rows`, d.max_queue_rows, {
      min: 1,
      max: 100_000_000,
    }),
    ...readSkewWindow(table, field),
    source: readString(table.source, `${field}.source`, d.source),
  };
}
