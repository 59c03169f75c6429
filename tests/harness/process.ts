/**
 * Starts a Tributary process (`hub/main.ts`, `agent/main.ts`, or any script
 * that follows the same contract) as a child Deno, waits for its ready line,
 * and stops it again.
 *
 * The contract: when ready, the process prints one JSON line with
 * `"event":"ready"` to stdout (lines before it are allowed); logs go to
 * stderr; SIGINT or SIGTERM makes it drain and exit 0.
 *
 * Both output streams are drained into files for the whole life of the child
 * (so it never blocks on a full pipe and the test sanitizers see every stream
 * consumed) and kept in memory, bounded, for assertions.
 *
 * @example
 * ```ts
 * await using hub = await startDenoProcess({ script: "hub/main.ts", args: ["run"], name: "hub" });
 * const url = hub.ready.http; // "http://127.0.0.1:PORT"
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { captureOutput } from "./_output_capture.ts";
import { raceTimeout, TIMED_OUT } from "./_timeout.ts";

/** The repository root: the default working directory of a child. */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** Options of {@linkcode startDenoProcess}. */
export interface DenoProcessOptions {
  /** The script to run, relative to `cwd` or absolute. */
  script: string;
  /** Arguments after the script, e.g. `["run", "--config", path]`. */
  args?: string[];
  /** Variables added to (and overriding) this process's environment. `NO_COLOR=1` is set unless given. */
  env?: Record<string, string>;
  /** The working directory. @default the repository root */
  cwd?: string;
  /** A name for messages and log file names. @default the script's file name */
  name?: string;
  /** Deno flags between `run` and the script. @default ["-A"] */
  denoFlags?: string[];
  /** How long to wait for the ready line. @default 30_000 */
  readyTimeoutMs?: number;
  /**
   * Where `<name>.stdout.log` and `<name>.stderr.log` go. @default a new dir
   * under $TRIBUTARY_TEST_LOG_DIR if set (always kept), else a new temp dir
   * that is removed after a clean exit (code 0) and kept after any other
   */
  logDir?: string;
}

/** How a child ended. */
export interface ExitInfo {
  /** The exit code (128 + n when killed by signal n). */
  code: number;
  /** The signal that ended it, or null when it exited by itself. */
  signal: Deno.Signal | null;
  /** True when it outlived the stop timeout and was killed with SIGKILL. */
  killed: boolean;
}

/** A running child; see {@linkcode startDenoProcess}. */
export interface DenoProcess {
  /** The name given (or derived). */
  readonly name: string;
  /** The child's process id. */
  readonly pid: number;
  /** The parsed ready line, e.g. `{ event: "ready", http: "http://127.0.0.1:PORT" }`. */
  readonly ready: Readonly<Record<string, unknown>>;
  /** The folder holding the two log files. */
  readonly logDir: string;
  /** Path of the file receiving stdout. */
  readonly stdoutPath: string;
  /** Path of the file receiving stderr. */
  readonly stderrPath: string;
  /** Settles when the child has exited. */
  readonly exited: Promise<ExitInfo>;
  /** Stdout so far (bounded to its last 4 MiB). */
  stdout(): string;
  /** Stderr so far (bounded to its last 4 MiB). */
  stderr(): string;
  /** Stderr lines parsed as JSON objects (the structured log); other lines are skipped. */
  logRecords(): Record<string, unknown>[];
  /**
   * Sends `signal`, waits up to `timeoutMs` for the exit, then SIGKILLs.
   * Resolves once the child and its output streams are done. Idempotent: a
   * child that already exited just reports how it ended.
   */
  stop(signal?: Deno.Signal, timeoutMs?: number): Promise<ExitInfo>;
  /** SIGKILL (a crash, as far as the child can tell), then as `stop()`. */
  kill(): Promise<ExitInfo>;
  /** `stop()` with its defaults, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The child exited, or stayed silent, before its ready line; the message holds its stderr tail. */
export class ProcessStartError extends Error {
  override readonly name = "ProcessStartError";
  /** How the child ended (it is always ended before this is thrown). */
  readonly exit: ExitInfo;
  /** The last lines of the child's stderr. */
  readonly stderrTail: string;
  constructor(message: string, exit: ExitInfo, stderrTail: string) {
    super(message);
    this.exit = exit;
    this.stderrTail = stderrTail;
  }
}

/**
 * Spawns `Deno.execPath() run <denoFlags> <script> <args>` and resolves once
 * the child prints its ready line.
 *
 * @throws {ProcessStartError} when the child exits, closes stdout or times
 * out before the ready line; the child is stopped first.
 */
export async function startDenoProcess(options: DenoProcessOptions): Promise<DenoProcess> {
  const name = options.name ?? options.script.split("/").pop()?.replace(/\.ts$/, "") ?? "process";
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const removeLogsOnCleanExit = options.logDir === undefined &&
    !Deno.env.get("TRIBUTARY_TEST_LOG_DIR");
  const logDir = options.logDir ?? await makeLogDir(name);
  await Deno.mkdir(logDir, { recursive: true });
  const safeName = name.replace(/[^A-Za-z0-9_.-]/g, "_");

  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...(options.denoFlags ?? ["-A"]), options.script, ...(options.args ?? [])],
    cwd: options.cwd ?? REPO_ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  let resolveReady!: (line: Record<string, unknown>) => void;
  const readyLine = new Promise<Record<string, unknown>>((resolve) => resolveReady = resolve);
  let sawReady = false;
  const stdout = await captureOutput(child.stdout, {
    path: join(logDir, `${safeName}.stdout.log`),
    onLine: (line) => {
      if (sawReady) return;
      const parsed = parseReadyLine(line);
      if (parsed) {
        sawReady = true;
        resolveReady(parsed);
      }
    },
  });
  const stderr = await captureOutput(child.stderr, {
    path: join(logDir, `${safeName}.stderr.log`),
  });

  let killedByUs = false;
  const exited: Promise<ExitInfo> = (async () => {
    const status = await child.status;
    await Promise.all([stdout.done, stderr.done]);
    if (removeLogsOnCleanExit && status.code === 0) {
      await Deno.remove(logDir, { recursive: true }).catch(() => {});
    }
    return { code: status.code, signal: status.signal, killed: killedByUs };
  })();

  const stop = async (signal: Deno.Signal = "SIGINT", timeoutMs = 10_000): Promise<ExitInfo> => {
    if (await raceTimeout(exited, 0) === TIMED_OUT) {
      sendSignal(child, signal);
      if (await raceTimeout(exited, timeoutMs) === TIMED_OUT) {
        killedByUs = true;
        sendSignal(child, "SIGKILL");
      }
    }
    return await exited;
  };

  const outcome = await raceTimeout(
    Promise.race([
      readyLine.then((line) => ({ kind: "ready" as const, line })),
      // stdout ending means no ready line can come any more.
      stdout.done.then(() => ({ kind: "closed" as const })),
      exited.then((exit) => ({ kind: "exited" as const, exit })),
    ]),
    readyTimeoutMs,
  );
  if (outcome === TIMED_OUT || outcome.kind !== "ready") {
    const exit = await stop("SIGKILL", 5_000);
    const why = outcome === TIMED_OUT
      ? `printed no ready line within ${readyTimeoutMs} ms`
      : `exited with code ${exit.code}${
        exit.signal ? ` (${exit.signal})` : ""
      } before its ready line`;
    throw new ProcessStartError(
      `${name} (${options.script}) ${why}; logs in ${logDir}; stderr tail:\n${stderr.tail(20)}` +
        `\nstdout tail:\n${stdout.tail(5)}`,
      exit,
      stderr.tail(20),
    );
  }

  return {
    name,
    pid: child.pid,
    ready: outcome.line,
    logDir,
    stdoutPath: stdout.path,
    stderrPath: stderr.path,
    exited,
    stdout: () => stdout.text(),
    stderr: () => stderr.text(),
    logRecords: () => parseJsonLines(stderr.text()),
    stop,
    kill: () => stop("SIGKILL", 5_000),
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
}

/** The ready line's object, or undefined when `line` is not one. */
export function parseReadyLine(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    if (isRecord(value) && value.event === "ready") return value;
  } catch {
    // Not JSON: an ordinary output line.
  }
  return undefined;
}

function parseJsonLines(text: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isRecord(value)) records.push(value);
    } catch {
      // A partial or non-JSON line.
    }
  }
  return records;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sendSignal(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // It exited in between; `exited` reports how.
  }
}

async function makeLogDir(name: string): Promise<string> {
  const prefix = `tributary-${name.replace(/[^A-Za-z0-9_-]/g, "_")}-`;
  const root = Deno.env.get("TRIBUTARY_TEST_LOG_DIR");
  if (root) {
    await Deno.mkdir(root, { recursive: true });
    return await Deno.makeTempDir({ dir: root, prefix });
  }
  return await Deno.makeTempDir({ prefix });
}
