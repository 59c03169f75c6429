import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { join } from "node:path";
import {
  compileAgent,
  describeResult,
  excludesFor,
  REPO_ROOT,
  type Target,
  TARGETS,
} from "./compile.ts";

/** The target matching the machine running the tests. */
function hostTarget(): Target {
  return Deno.build.arch === "aarch64" ? "aarch64-unknown-linux-gnu" : "x86_64-unknown-linux-gnu";
}

/** A fake node_modules/.deno store with the bindings meta package and two installed bindings. */
async function fakeStore(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "tributary-compile-test-" });
  const store = join(root, "node_modules", ".deno");
  const meta = join(
    store,
    "@duckdb+node-bindings@9.9.9-r.1",
    "node_modules",
    "@duckdb",
    "node-bindings",
  );
  await Deno.mkdir(meta, { recursive: true });
  await Deno.writeTextFile(
    join(meta, "package.json"),
    JSON.stringify({
      name: "@duckdb/node-bindings",
      optionalDependencies: {
        "@duckdb/node-bindings-linux-x64": "9.9.9-r.1",
        "@duckdb/node-bindings-linux-x64-musl": "9.9.9-r.1",
        "@duckdb/node-bindings-linux-arm64": "9.9.9-r.1",
      },
    }),
  );
  for (
    const folder of [
      "@duckdb+node-bindings-linux-x64@9.9.9-r.1",
      "@duckdb+node-bindings-linux-x64-musl@9.9.9-r.1",
      "bintrees@1.0.7",
      "mqtt@5.16.0",
    ]
  ) {
    await Deno.mkdir(join(store, folder), { recursive: true });
  }
  return root;
}

Deno.test("excludesFor keeps only the target's glibc binding, predicts uninstalled ones and drops bintrees tests", async () => {
  const root = await fakeStore();
  try {
    assertEquals(await excludesFor(root, "x86_64-unknown-linux-gnu"), [
      "node_modules/.deno/@duckdb+node-bindings-linux-arm64@9.9.9-r.1/node_modules/@duckdb/node-bindings-linux-arm64",
      "node_modules/.deno/@duckdb+node-bindings-linux-x64-musl@9.9.9-r.1/node_modules/@duckdb/node-bindings-linux-x64-musl",
      "node_modules/.deno/bintrees@1.0.7/node_modules/bintrees/test",
    ]);
    assertEquals(await excludesFor(root, "aarch64-unknown-linux-gnu"), [
      "node_modules/.deno/@duckdb+node-bindings-linux-x64-musl@9.9.9-r.1/node_modules/@duckdb/node-bindings-linux-x64-musl",
      "node_modules/.deno/@duckdb+node-bindings-linux-x64@9.9.9-r.1/node_modules/@duckdb/node-bindings-linux-x64",
      "node_modules/.deno/bintrees@1.0.7/node_modules/bintrees/test",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** Imports what the agent will: DuckDB, MQTT, prom-client, Arrow, TOML. */
const STAND_IN = `
import { DuckDBInstance } from "@duckdb/node-api";
import mqtt from "mqtt";
import { Registry } from "prom-client";
import { tableFromArrays } from "apache-arrow";
import { parse } from "smol-toml";
if (Deno.args[0] === "--help") {
  const instance = await DuckDBInstance.create(":memory:");
  instance.closeSync();
  console.log(typeof mqtt.connect, typeof Registry, tableFromArrays({ a: [1] }).numRows, parse("a = 1").a);
}
`;

/** True when `entry`'s module graph imports `@duckdb/node-api` (per `deno info`). */
async function importsDuckdb(entry: string): Promise<boolean> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(output.success, new TextDecoder().decode(output.stderr));
  const info: unknown = JSON.parse(new TextDecoder().decode(output.stdout));
  // `modules` is the graph itself (`npmPackages` is the whole lock snapshot).
  const modules = typeof info === "object" && info !== null && "modules" in info &&
      Array.isArray(info.modules)
    ? info.modules as unknown[]
    : [];
  return modules.some((module) =>
    typeof module === "object" && module !== null && "npmPackage" in module &&
    typeof module.npmPackage === "string" && module.npmPackage.startsWith("@duckdb/node-api@")
  );
}

/**
 * Compiles `entry` for the host target into a temp dir and checks the result.
 *
 * What this checks: `deno compile` with our flags and excludes completes
 * within 3 minutes, writes an executable, reports its embedded size, and (when
 * the graph uses DuckDB) embeds the host's glibc DuckDB binding and no other
 * binding package. Where denort cannot be downloaded (this sandbox) the build
 * is a stand-in on the Deno CLI, so the binary is not run; where it is real,
 * `--help` must exit 0 (DuckDB's addon loads at import, so this also checks
 * the self-extraction of libduckdb.so).
 */
async function checkHostBuild(entry: string, expectDuckdb: boolean): Promise<void> {
  const outDir = await Deno.makeTempDir({ prefix: "tributary-compile-out-" });
  const lines: string[] = [];
  try {
    const target = hostTarget();
    const result = await compileAgent({
      target,
      entry,
      outDir,
      timeoutMs: 180_000,
      log: (line) => lines.push(line),
    });
    assertEquals(result.output, join(outDir, `tributary-agent-${target}`));
    assert(result.sizeBytes > 50 * 1024 * 1024, `suspiciously small: ${result.sizeBytes} bytes`);
    assert(result.embeddedFiles !== undefined, "deno compile reported no embedded size");
    const bindings = result.embeddedPackages
      .filter((name) => name.startsWith("@duckdb+node-bindings-"))
      .map((name) => name.slice(0, name.lastIndexOf("@")));
    const binding = TARGETS[target].duckdbBinding.replace("/", "+");
    assertEquals(bindings, expectDuckdb ? [binding] : []);
    if (result.standIn) {
      assert(
        lines.some((line) => line.includes("STAND-IN")),
        "a stand-in build must say so loudly",
      );
      assert(describeResult(result).includes("STAND-IN"));
    } else {
      const help = await new Deno.Command(result.output, {
        args: ["--help"],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).output();
      assertEquals(help.code, 0, new TextDecoder().decode(help.stderr));
    }
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
}

Deno.test("compileAgent builds a stand-in using the agent's packages with only the host's DuckDB binding", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-compile-standin-" });
  try {
    const entry = join(dir, "main.ts");
    await Deno.writeTextFile(entry, STAND_IN);
    await checkHostBuild(entry, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compileAgent builds agent/main.ts for the host target", async () => {
  const entry = join(REPO_ROOT, "agent", "main.ts");
  await checkHostBuild(entry, await importsDuckdb(entry));
});
