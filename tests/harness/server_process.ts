/**
 * The life of one server child (Mosquitto, a Kafka JVM, S3Proxy): spawn it
 * with its output drained into log files, poll until it is ready (a port, a
 * log line, an HTTP answer) while watching for an early exit, and stop it:
 * a signal, SIGKILL after a grace period, then wait for the exit and for the
 * pipes to close (the test sanitizers fail a test that leaves one open).
 *
 * {@linkcode startRestartable} keeps one such server running on the same
 * ports and data across restarts and removes its temp dir when stopped for
 * good. The harnesses (./mosquitto.ts, ./kafka.ts, ./s3proxy.ts) add only
 * their config, command line and readiness probe.
 *
 * @example
 * ```ts
 * const server = await spawnServer({ command: "mosquitto", args: ["-c", conf], stderrPath: log });
 * if (await server.waitUntilReady(() => accepts(port), { timeoutMs: 10_000 }) !== "ready") {
 *   await server.stop("SIGKILL");
 * }
 * await server.stop(); // SIGTERM, SIGKILL after 5 s
 * ```
 *
 * @module
 */
import { type Capture, captureOutput } from "./_output_capture.ts";
import { delay, raceTimeout, TIMED_OUT } from "./_timeout.ts";

/** Options of {@linkcode spawnServer}. */
export interface ServerProcessOptions {
  /** The binary, e.g. `java` or `/usr/sbin/mosquitto`. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** The file receiving stderr. */
  stderrPath: string;
  /** The file receiving stdout; without it stdout goes to /dev/null. */
  stdoutPath?: string;
  /** Called with each stderr line, e.g. to spot a "started" line. */
  onStderrLine?: (line: string) => void;
  /** How many trailing characters of each stream stay in memory. @default 4 MiB */
  maxTailChars?: number;
}

/** How {@linkcode ServerProcess.waitUntilReady} ended. */
export type ReadyOutcome = "ready" | "exited" | "timeout";

/** A running server child; see {@linkcode spawnServer}. */
export interface ServerProcess {
  /** The child itself (its pid, its status). */
  readonly child: Deno.ChildProcess;
  /** The captured stderr. */
  readonly stderr: Capture;
  /** The captured stdout, when `stdoutPath` was given. */
  readonly stdout: Capture | undefined;
  /** True once the child has exited. */
  readonly exited: boolean;
  /**
   * Calls `probe` every `intervalMs` until it returns true ("ready"), the
   * child exits ("exited", also when it exits while the probe runs) or
   * `timeoutMs` passes ("timeout"). Each probe call must itself be bounded.
   */
  waitUntilReady(
    probe: () => boolean | Promise<boolean>,
    options: { timeoutMs: number; intervalMs?: number },
  ): Promise<ReadyOutcome>;
  /**
   * Sends `signal` (default SIGTERM); if the child outlives `graceMs`
   * (default 5 s) sends SIGKILL. Resolves once it has exited and its output
   * files are closed. SIGKILL is sent at once, without a grace period. Idempotent.
   */
  stop(signal?: "SIGTERM" | "SIGINT" | "SIGKILL", graceMs?: number): Promise<Deno.CommandStatus>;
  /** The last `lines` lines of stdout (if captured) and stderr. */
  tail(lines?: number): string;
}

/**
 * Spawns `command args` with stdin closed and its output drained.
 *
 * @throws {Deno.errors.NotFound} when `command` does not exist (callers turn it into an install hint).
 */
export async function spawnServer(options: ServerProcessOptions): Promise<ServerProcess> {
  const child = new Deno.Command(options.command, {
    args: options.args,
    stdin: "null",
    stdout: options.stdoutPath === undefined ? "null" : "piped",
    stderr: "piped",
  }).spawn();
  const maxTailChars = options.maxTailChars;
  const stdout = options.stdoutPath === undefined
    ? undefined
    : await captureOutput(child.stdout, { path: options.stdoutPath, maxTailChars });
  const stderr = await captureOutput(child.stderr, {
    path: options.stderrPath,
    maxTailChars,
    onLine: options.onStderrLine,
  });
  let exited = false;
  child.status.then(() => exited = true);

  const stop = async (
    signal: "SIGTERM" | "SIGINT" | "SIGKILL" = "SIGTERM",
    graceMs = 5_000,
  ): Promise<Deno.CommandStatus> => {
    if (!exited) {
      sendSignal(child, signal);
      if (signal !== "SIGKILL" && await raceTimeout(child.status, graceMs) === TIMED_OUT) {
        sendSignal(child, "SIGKILL");
      }
    }
    const status = await child.status;
    await Promise.all([stdout?.done, stderr.done]);
    return status;
  };

  return {
    child,
    stderr,
    stdout,
    get exited() {
      return exited;
    },
    waitUntilReady: async (probe, { timeoutMs, intervalMs = 50 }) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (exited) return "exited";
        if (await probe()) return exited ? "exited" : "ready";
        await delay(intervalMs);
      }
      return exited ? "exited" : "timeout";
    },
    stop,
    tail: (lines = 20) =>
      [stdout?.tail(lines), stderr.tail(lines)].filter((t) => t !== undefined && t !== "")
        .join("\n"),
  };
}

/** Options of {@linkcode RestartableServer.restart}. */
export interface ServerRestartOptions {
  /** How to stop the running server: SIGTERM lets it save its state, SIGKILL crashes it. @default "SIGTERM" */
  signal?: "SIGTERM" | "SIGKILL";
  /** How long the server stays down before it starts again, in ms. @default 0 */
  downMs?: number;
}

/** A test server that can be restarted and stopped for good; see {@linkcode startRestartable}. */
export interface RestartableServer {
  /** The temp dir holding its config, data and logs; removed by `stop()`. */
  readonly dir: string;
  /** The output of the current run (empty while down). */
  log(): string;
  /** Stops the server (see {@linkcode ServerRestartOptions}) and starts it again with the same config and data. */
  restart(options?: ServerRestartOptions): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after the grace period) and removes its dir. Idempotent. */
  stop(): Promise<void>;
  /** Same as `stop()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@linkcode startRestartable}. */
export interface RestartableOptions {
  /** The server's temp dir, removed when it stops for good (or fails to start). */
  dir: string;
  /** Grace period after SIGTERM before SIGKILL. */
  stopGraceMs: number;
  /** One-off work before the first launch (e.g. formatting storage). */
  prepare?: () => Promise<void>;
  /**
   * Spawns one run and resolves once it is ready. On failure it stops that
   * run itself and throws (the error reaches the caller of
   * {@linkcode startRestartable} or of `restart()`).
   */
  launch: (run: number) => Promise<ServerProcess>;
  /** What the current run's log is: its stderr unless given. */
  log?: (server: ServerProcess) => string;
  /** The error for `restart()` after `stop()`. */
  stoppedError: () => Error;
}

/**
 * Runs `prepare` and the first `launch`; on failure removes the dir and
 * rethrows. Returns the {@linkcode RestartableServer} parts for the caller to
 * extend with its address.
 */
export async function startRestartable(options: RestartableOptions): Promise<RestartableServer> {
  let current: ServerProcess | undefined;
  let runs = 0;
  let stopped = false;
  const launch = async () => {
    runs += 1;
    current = await options.launch(runs);
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await current?.stop("SIGTERM", options.stopGraceMs);
    current = undefined;
    await Deno.remove(options.dir, { recursive: true }).catch(() => {});
  };
  try {
    await options.prepare?.();
    await launch();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dir: options.dir,
    log: () => current === undefined ? "" : (options.log?.(current) ?? current.stderr.text()),
    restart: async (restartOptions: ServerRestartOptions = {}) => {
      if (stopped) throw options.stoppedError();
      await current?.stop(restartOptions.signal ?? "SIGTERM", options.stopGraceMs);
      current = undefined;
      if ((restartOptions.downMs ?? 0) > 0) await delay(restartOptions.downMs!);
      await launch();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** True when a TCP connection to 127.0.0.1:`port` is accepted. */
export async function acceptsTcp(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

function sendSignal(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // It exited in between; `status` says how.
  }
}
