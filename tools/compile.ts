/**
 * `deno task compile`: builds the agent as one self-contained executable per
 * Linux target, `dist/tributary-agent-<target>`.
 *
 * What it takes care of (see PITFALLS.md, "deno compile"):
 * - `--self-extracting`: DuckDB's `duckdb.node` loads `libduckdb.so` from its
 *   own folder, which a plain compiled binary does not unpack. A
 *   self-extracting binary unpacks its file system beside itself on first run.
 * - Excludes: prom-client's `bintrees/test` data (it overflows the compiler's
 *   stack) and every DuckDB binding package but the target's glibc one (musl
 *   always, the other architecture too). Package folders are derived at run
 *   time from `node_modules/.deno` and the bindings' own `optionalDependencies`,
 *   so a version bump needs no edit here.
 * - Cross-compiling: for `aarch64-unknown-linux-gnu`, `deno compile` itself
 *   installs the arm64 binding packages into node_modules (about 125 MB from
 *   the npm registry, once), then embeds the glibc one.
 * - The base runtime (`denort`) is downloaded by `deno compile`. Where that
 *   download fails and `DENORT_BIN` is unset, the build is retried with
 *   `DENORT_BIN` set to this Deno binary: the result is a STAND-IN (module
 *   graph, embedding and size are real; running it starts the Deno CLI, not
 *   the agent) and is reported as such.
 *
 * @example
 * ```sh
 * deno task compile                                   # both targets
 * deno task compile --target x86_64-unknown-linux-gnu # one
 * ```
 *
 * @module
 */
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The Linux targets we build, and the DuckDB binding package each needs. */
export const TARGETS = {
  "x86_64-unknown-linux-gnu": { duckdbBinding: "@duckdb/node-bindings-linux-x64" },
  "aarch64-unknown-linux-gnu": { duckdbBinding: "@duckdb/node-bindings-linux-arm64" },
} as const;

/** One of {@linkcode TARGETS}. */
export type Target = keyof typeof TARGETS;

/**
 * What the agent may do at run time, baked into the binary: network (MQTT,
 * HTTP), files (buffer, config, tailed logs), env (secrets), FFI (DuckDB's
 * Node-API addon) and sys (hostname, load averages).
 */
export const AGENT_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
];

/**
 * V8 flags baked into the agent binary. `--expose-gc` lets the buffer reclaim
 * DuckDB chunk memory and promoted batch columns after each read
 * (agent/buffer/heap_reclaim.ts); a 1 MiB semi-space keeps the young
 * generation small (up to 16 MiB otherwise). With the systemd unit's malloc
 * settings they took a 256 MiB drain's plateau from +53 to +42 MiB over idle
 * and idle from 205 to 183 MiB (docs/benchmarks.md, "Drain memory (session 4)").
 */
export const AGENT_V8_FLAGS = "--v8-flags=--expose-gc,--max-semi-space-size=1";

/** The repository root. */
export const REPO_ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** Options of {@linkcode compileAgent}. */
export interface CompileOptions {
  /** The target triple. */
  target: Target;
  /** The entry point, relative to `root` or absolute. @default "agent/main.ts" */
  entry?: string;
  /** Where the executable goes. @default "<root>/dist" */
  outDir?: string;
  /** The repository root (holds deno.json and node_modules). @default {@linkcode REPO_ROOT} */
  root?: string;
  /**
   * The base runtime. @default $DENORT_BIN, else deno's download, else (on a
   * download failure) this Deno binary as a stand-in
   */
  denortBin?: string;
  /** Kill `deno compile` after this long. @default 600_000 */
  timeoutMs?: number;
  /** Type-check first (the `deno task check` gate already does). @default false */
  typeCheck?: boolean;
  /** Pass `--bundle` (experimental esbuild bundling; smaller). @default false */
  bundle?: boolean;
  /** Receives progress lines. @default writes to stderr */
  log?: (line: string) => void;
}

/** What one build produced. */
export interface CompileResult {
  /** The target triple. */
  target: Target;
  /** The executable's path. */
  output: string;
  /** The executable's size in bytes. */
  sizeBytes: number;
  /** Deno's "Files:" total of the embedded file system, e.g. "85.84MB", if reported. */
  embeddedFiles?: string;
  /** True when built on this Deno binary instead of denort: it cannot run the app. */
  standIn: boolean;
  /** Wall time of the build(s). */
  durationMs: number;
  /** The --exclude paths passed (relative to root). */
  excludes: string[];
  /** Package folders of node_modules/.deno listed as embedded, e.g. "@duckdb+node-bindings-linux-x64@1.5.5-r.5". */
  embeddedPackages: string[];
}

/** Raised when `deno compile` fails; the message holds its stderr tail. */
export class CompileError extends Error {
  override readonly name = "CompileError";
}

/**
 * The `--exclude` paths for `target`, relative to `root`: bintrees' test data
 * and every DuckDB binding package except the target's glibc one (including
 * packages not installed yet, predicted from the bindings' optionalDependencies).
 */
export async function excludesFor(root: string, target: Target): Promise<string[]> {
  const storeDir = join(root, "node_modules", ".deno");
  const keep = TARGETS[target].duckdbBinding;
  const excludes = new Set<string>();
  const entries: string[] = [];
  for await (const entry of Deno.readDir(storeDir)) {
    if (entry.isDirectory) entries.push(entry.name);
  }
  for (const folder of entries.sort()) {
    const { name, version } = splitStoreFolder(folder);
    if (name === "bintrees") {
      excludes.add(`node_modules/.deno/${folder}/node_modules/bintrees/test`);
    }
    if (name.startsWith("@duckdb/node-bindings-") && name !== keep) {
      excludes.add(packagePath(name, version));
    }
    if (name === "@duckdb/node-bindings") {
      const manifest = await readJson(join(storeDir, folder, "node_modules", name, "package.json"));
      const optional = isRecord(manifest) ? manifest.optionalDependencies : undefined;
      if (isRecord(optional)) {
        for (const [dep, depVersion] of Object.entries(optional)) {
          if (dep !== keep && typeof depVersion === "string") {
            excludes.add(packagePath(dep, depVersion));
          }
        }
      }
    }
  }
  return [...excludes].sort();
}

/**
 * Compiles the agent for one target.
 *
 * @throws {CompileError} when `deno compile` fails or times out.
 */
export async function compileAgent(options: CompileOptions): Promise<CompileResult> {
  const root = resolve(options.root ?? REPO_ROOT);
  const log = options.log ?? ((line: string) => console.error(line));
  const entry = options.entry ?? "agent/main.ts";
  const outDir = resolve(root, options.outDir ?? "dist");
  const output = join(outDir, `tributary-agent-${options.target}`);
  const started = Date.now();

  if (!await exists(join(root, "node_modules", ".deno"))) {
    log("node_modules missing: running deno install");
    await run(["install"], { cwd: root, env: {}, timeoutMs: options.timeoutMs ?? 600_000 });
  }
  await Deno.mkdir(outDir, { recursive: true });
  const excludes = await excludesFor(root, options.target);
  const args = [
    "compile",
    "--config",
    join(root, "deno.json"),
    ...(options.typeCheck ? [] : ["--no-check"]),
    ...AGENT_PERMISSIONS,
    "--self-extracting",
    AGENT_V8_FLAGS,
    ...(options.bundle ? ["--bundle"] : []),
    "--target",
    options.target,
    ...excludes.flatMap((path) => ["--exclude", path]),
    "--output",
    output,
    isAbsolute(entry) ? entry : join(root, entry),
  ];

  const explicitDenort = options.denortBin ?? Deno.env.get("DENORT_BIN");
  const env: Record<string, string> = explicitDenort ? { DENORT_BIN: explicitDenort } : {};
  let standIn = explicitDenort !== undefined && await samePath(explicitDenort, Deno.execPath());
  const runOptions = { cwd: root, env, timeoutMs: options.timeoutMs ?? 600_000 };
  let result = await run(args, runOptions);
  if (
    !result.success && !explicitDenort && /denort|base binary|dl\.deno\.land/i.test(result.stderr)
  ) {
    log(STAND_IN_BANNER.replaceAll("$DENO", Deno.execPath()));
    standIn = true;
    result = await run(args, { ...runOptions, env: { DENORT_BIN: Deno.execPath() } });
  }
  if (!result.success) {
    throw new CompileError(
      `deno compile for ${options.target} failed (${result.reason}); stderr tail:\n` +
        result.stderr.split("\n").slice(-25).join("\n"),
    );
  }
  const listing = result.stderr;
  const sizeBytes = (await Deno.stat(output)).size;
  return {
    target: options.target,
    output,
    sizeBytes,
    embeddedFiles: listing.match(/^Files: (\S+)/m)?.[1],
    standIn,
    durationMs: Date.now() - started,
    excludes,
    embeddedPackages: [...listing.matchAll(/── ((?:@[^+\s]+\+)?[^@\s/]+@[^/\s]+)\/\*/g)]
      .map((match) => match[1] ?? "")
      .filter((name) => name.length > 0)
      .sort(),
  };
}

/** The line printed per target. */
export function describeResult(result: CompileResult, root: string = REPO_ROOT): string {
  const binding = TARGETS[result.target].duckdbBinding.replace("/", "+");
  const hasDuckdb = result.embeddedPackages.some((name) => name.startsWith(`${binding}@`));
  return [
    `${result.target}: ${relative(root, result.output)}`,
    `size ${formatBytes(result.sizeBytes)}`,
    `embedded files ${result.embeddedFiles ?? "not reported"}`,
    `DuckDB binding ${hasDuckdb ? "embedded" : "MISSING"}`,
    `${(result.durationMs / 1000).toFixed(1)} s`,
    ...(result.standIn ? ["STAND-IN (built on the Deno CLI; cannot run the agent)"] : []),
  ].join(" | ");
}

const STAND_IN_BANNER = `
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!! deno compile could not download its base runtime (denort).
!!! Retrying with DENORT_BIN=$DENO
!!! The output is a STAND-IN: its module graph, embedded files and size are
!!! real, but running it starts the Deno CLI, not the agent. Build where the
!!! download works (or set DENORT_BIN to a real denort) for a usable binary.
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
`;

interface RunResult {
  success: boolean;
  reason: string;
  stderr: string;
}

async function run(
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<RunResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: options.cwd,
      env: { NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: controller.signal,
    }).output();
    const decoder = new TextDecoder();
    const text = decoder.decode(output.stdout) + decoder.decode(output.stderr);
    const reason = controller.signal.aborted
      ? `timed out after ${options.timeoutMs} ms`
      : `exit code ${output.code}`;
    return { success: output.success && !controller.signal.aborted, reason, stderr: text };
  } finally {
    clearTimeout(timer);
  }
}

/** "@duckdb+node-bindings-linux-x64@1.5.5-r.5" → name "@duckdb/node-bindings-linux-x64", version "1.5.5-r.5". */
function splitStoreFolder(folder: string): { name: string; version: string } {
  const at = folder.indexOf("@", 1);
  if (at < 0) return { name: folder, version: "" };
  const name = folder.slice(0, at);
  return {
    name: name.startsWith("@") ? name.replace("+", "/") : name,
    version: folder.slice(at + 1),
  };
}

function packagePath(name: string, version: string): string {
  return `node_modules/.deno/${name.replace("/", "+")}@${version}/node_modules/${name}`;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function samePath(a: string, b: string): Promise<boolean> {
  try {
    return await Deno.realPath(a) === await Deno.realPath(b);
  } catch {
    return false;
  }
}

function formatBytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const HELP = `deno task compile [-- OPTIONS]

Builds dist/tributary-agent-<target> with deno compile (self-extracting, so
DuckDB's libduckdb.so is unpacked beside duckdb.node on first run).

Options:
  --target T     x86_64-unknown-linux-gnu or aarch64-unknown-linux-gnu;
                 repeat for several (default: both)
  --out-dir DIR  output folder (default dist)
  --entry FILE   entry point (default agent/main.ts)
  --check        type-check while compiling (default: skip; deno task check does it)
  --bundle       experimental: bundle with esbuild (smaller binary)
  -h, --help     this text

Environment:
  DENORT_BIN     a local denort to build on. Unset: deno downloads it, and if
                 that fails the build is retried on this Deno binary as a
                 clearly reported stand-in that cannot run the agent.
`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: "string", multiple: true },
      "out-dir": { type: "string" },
      entry: { type: "string" },
      check: { type: "boolean", default: false },
      bundle: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const targets = values.target ?? Object.keys(TARGETS);
  for (const target of targets) {
    if (!(target in TARGETS)) {
      console.error(
        `--target: got ${JSON.stringify(target)}, expected one of ${
          Object.keys(TARGETS).join(", ")
        }`,
      );
      return 2;
    }
  }
  let failed = 0;
  const lines: string[] = [];
  for (const target of targets as Target[]) {
    console.error(`compiling ${values.entry ?? "agent/main.ts"} for ${target} ...`);
    try {
      const result = await compileAgent({
        target,
        entry: values.entry,
        outDir: values["out-dir"],
        typeCheck: values.check,
        bundle: values.bundle,
      });
      lines.push(describeResult(result));
      console.error(lines.at(-1));
    } catch (error) {
      failed += 1;
      lines.push(`${target}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
      console.error(lines.at(-1));
    }
  }
  console.log(lines.join("\n"));
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(2);
  }
}
