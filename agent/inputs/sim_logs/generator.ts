/**
 * Deterministic log lines from several sources (nginx, sshd, kernel, app,
 * postgres, ...): every non-time field of row n is a pure function of
 * (seed, options, n). Levels are mostly info; each source has plausible
 * messages per level with structured fields.
 *
 * @module
 */
import { createRandom, type Random } from "@tributary/shared/prng";
import { LOG_LEVELS, type LogLevel, type LogLine } from "@tributary/shared/records";

/** A log line without its timestamps. */
export type SimLogLine = Omit<LogLine, "ts" | "recv_ts">;

/** Builds a message and its fields from random draws. */
type Template = (r: Random) => { message: string; fields: Record<string, unknown> };

/** The messages a source can produce, per level. */
export interface SourceSpec {
  name: string;
  /** Relative share of lines. */
  weight: number;
  templates: Partial<Record<LogLevel, readonly Template[]>>;
}

const USERS = ["deploy", "ops", "alice", "bob", "backup", "ci"] as const;
const PATHS = [
  "/",
  "/api/v1/orders",
  "/api/v1/orders/:id",
  "/api/v1/users/:id",
  "/static/app.js",
  "/healthz",
  "/login",
] as const;
const METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"] as const;
const AGENTS = [
  "Mozilla/5.0 (X11; Linux x86_64)",
  "curl/8.5.0",
  "Go-http-client/1.1",
  "okhttp/4.12.0",
] as const;

const ip = (r: Random, net: string) => `${net}.${r.int(1, 254)}`;
const id = (r: Random) => r.int(1, 99_999);

function httpLine(r: Random, statuses: readonly number[]) {
  const method = r.pick(METHODS);
  const path = r.pick(PATHS).replace(":id", String(id(r)));
  const status = r.pick(statuses);
  const bytes = status === 204 || status === 304 ? 0 : r.int(80, 64_000);
  const durationMs = Math.round(
    status >= 500 ? r.int(500, 30_000) : 1 + 40 * -Math.log(1 - r.next()),
  );
  const remote = ip(r, r.next() < 0.7 ? "10.0.3" : "203.0.113");
  return {
    message: `${remote} "${method} ${path} HTTP/1.1" ${status} ${bytes} "${r.pick(AGENTS)}" ${
      (durationMs / 1000).toFixed(3)
    }`,
    fields: { method, path, status, bytes, duration_ms: durationMs, remote_addr: remote },
  };
}

/** The built-in sources, in the order `sources = N` takes them. */
export const SOURCES: readonly SourceSpec[] = [
  {
    name: "nginx",
    weight: 5,
    templates: {
      debug: [
        (r) => ({ message: `*${id(r)} http keepalive handler`, fields: { connection: id(r) } }),
      ],
      info: [(r) => httpLine(r, [200, 200, 200, 200, 201, 204, 301, 304])],
      warn: [(r) => httpLine(r, [400, 401, 403, 404, 404, 429])],
      error: [
        (r) => httpLine(r, [500, 502, 503, 504]),
        (r) => ({
          message:
            `upstream timed out (110: Connection timed out) while reading response header from upstream, upstream: "http://10.0.4.${
              r.int(2, 20)
            }:8080"`,
          fields: { upstream: `10.0.4.${r.int(2, 20)}:8080`, errno: 110 },
        }),
      ],
    },
  },
  {
    name: "sshd",
    weight: 1,
    templates: {
      debug: [(r) => {
        const user = r.pick(USERS);
        return {
          message: `pam_unix(sshd:session): session opened for user ${user}(uid=${
            r.int(1000, 1010)
          })`,
          fields: { user },
        };
      }],
      info: [(r) => {
        const user = r.pick(USERS), from = ip(r, "10.0.3"), port = r.int(32768, 60999);
        return {
          message: `Accepted publickey for ${user} from ${from} port ${port} ssh2: ED25519 SHA256:${
            r.int(1e8, 9e8).toString(36)
          }`,
          fields: { user, from, port, method: "publickey" },
        };
      }],
      warn: [(r) => {
        const user = r.pick(["admin", "root", "test", "oracle", "ubuntu"]),
          from = ip(r, "198.51.100"),
          port = r.int(1024, 65535);
        return {
          message: `Failed password for invalid user ${user} from ${from} port ${port} ssh2`,
          fields: { user, from, port },
        };
      }],
      error: [(r) => {
        const from = ip(r, "198.51.100");
        return {
          message: `error: kex_exchange_identification: Connection closed by remote host`,
          fields: { from },
        };
      }],
    },
  },
  {
    name: "kernel",
    weight: 1,
    templates: {
      debug: [
        (r) => ({
          message: `usb 1-${r.int(1, 4)}: new high-speed USB device number ${
            r.int(2, 20)
          } using xhci_hcd`,
          fields: {},
        }),
      ],
      info: [
        (r) => ({
          message: `eth${r.int(0, 1)}: Link is Up - 1Gbps/Full - flow control rx/tx`,
          fields: { speed_mbps: 1000 },
        }),
        (r) => ({
          message: `EXT4-fs (sda${r.int(1, 3)}): mounted filesystem with ordered data mode`,
          fields: {},
        }),
      ],
      warn: [(r) => {
        const cpu = r.int(0, 7);
        return {
          message:
            `CPU${cpu}: Core temperature above threshold, cpu clock throttled (total events = ${
              r.int(1, 500)
            })`,
          fields: { cpu },
        };
      }],
      error: [(r) => {
        const pid = r.int(300, 60_000);
        return {
          message: `Out of memory: Killed process ${pid} (java) total-vm:${r.int(2, 9)}048576kB`,
          fields: { pid, process: "java" },
        };
      }],
      fatal: [
        () => ({ message: "Kernel panic - not syncing: Fatal exception in interrupt", fields: {} }),
      ],
    },
  },
  {
    name: "app",
    weight: 4,
    templates: {
      trace: [
        (r) => ({
          message: "enter handler",
          fields: { handler: r.pick(["createOrder", "getUser", "listOrders"]) },
        }),
      ],
      debug: [
        (r) => ({ message: "cache lookup", fields: { key: `user:${id(r)}`, hit: r.next() < 0.8 } }),
      ],
      info: [
        (r) => ({
          message: "order placed",
          fields: {
            order_id: id(r),
            user_id: id(r),
            amount: Math.round(r.next() * 50_000) / 100,
            duration_ms: r.int(3, 120),
          },
        }),
        (r) => ({
          message: "user logged in",
          fields: { user_id: id(r), method: r.pick(["password", "sso", "token"]) },
        }),
      ],
      warn: [
        (r) => ({
          message: "slow query",
          fields: { query: "select_orders_by_user", duration_ms: r.int(500, 5000) },
        }),
      ],
      error: [
        (r) => ({
          message: "payment gateway timeout",
          fields: { order_id: id(r), upstream: "payments.internal:443", attempt: r.int(1, 3) },
        }),
      ],
      fatal: [() => ({ message: "cannot connect to database, exiting", fields: { exit_code: 1 } })],
    },
  },
  {
    name: "postgres",
    weight: 2,
    templates: {
      debug: [
        (r) => ({
          message: `statement: SELECT * FROM orders WHERE user_id = ${id(r)}`,
          fields: { duration_ms: r.int(1, 20) },
        }),
      ],
      info: [(r) => {
        const buffers = r.int(100, 20_000);
        return {
          message: `checkpoint complete: wrote ${buffers} buffers (${
            (buffers / 1638.4).toFixed(1)
          }%)`,
          fields: { buffers },
        };
      }],
      warn: [
        () => ({
          message: "could not receive data from client: Connection reset by peer",
          fields: {},
        }),
      ],
      error: [
        (r) => ({
          message: `duplicate key value violates unique constraint "orders_pkey"`,
          fields: { key: id(r), table: "orders" },
        }),
      ],
      fatal: [
        (r) => ({
          message: "terminating connection due to administrator command",
          fields: { pid: r.int(300, 60_000) },
        }),
      ],
    },
  },
  {
    name: "cron",
    weight: 0.5,
    templates: {
      info: [(r) => {
        const job = r.pick(["logrotate", "backup.sh", "certbot renew"]);
        return { message: `(root) CMD (${job})`, fields: { job } };
      }],
      error: [
        (r) => ({
          message: "(backup) job exited with status 1",
          fields: { exit_code: 1, run: id(r) },
        }),
      ],
    },
  },
];

/** Relative weights of the levels, in `LOG_LEVELS` order: mostly info. */
export const LEVEL_WEIGHTS: Readonly<Record<LogLevel, number>> = {
  trace: 0.5,
  debug: 6,
  info: 80,
  warn: 9,
  error: 4,
  fatal: 0.05,
};

/** Options of {@linkcode createLogSimulator}. */
export interface LogSimulatorOptions {
  seed: number;
  /** Number of sources, taken in order from {@linkcode SOURCES}. */
  sources: number;
  /** Hosts the lines come from (`host` field), e.g. 3 gives web-1..web-3. */
  hosts: number;
}

/** A generator of log lines; `next()` returns row 0, 1, 2, ... */
export interface LogSimulator {
  next(): SimLogLine;
}

/**
 * Creates a log simulator.
 *
 * @example
 * ```ts
 * const sim = createLogSimulator({ seed: 1, sources: 5, hosts: 3 });
 * sim.next(); // { source: "nginx", level: "info", message: '10.0.3.7 "GET / HTTP/1.1" 200 ...', fields: '{...}' }
 * ```
 */
export function createLogSimulator(options: LogSimulatorOptions): LogSimulator {
  const random = createRandom(options.seed);
  const sources = SOURCES.slice(0, Math.max(1, Math.min(options.sources, SOURCES.length)));
  const sourceWeights = sources.map((s) => s.weight);
  const levelWeights = LOG_LEVELS.map((l) => LEVEL_WEIGHTS[l]);
  return {
    next(): SimLogLine {
      const source = sources[random.weighted(sourceWeights)]!;
      let level: LogLevel = LOG_LEVELS[random.weighted(levelWeights)]!;
      // A source without messages of that level logs at info instead.
      let templates = source.templates[level];
      if (templates === undefined || templates.length === 0) {
        level = "info";
        templates = source.templates.info!;
      }
      const { message, fields } = random.pick(templates)(random);
      const host = `host-${random.int(1, options.hosts)}`;
      return { source: source.name, level, message, fields: JSON.stringify({ host, ...fields }) };
    },
  };
}
