/**
 * Fetches Java test servers (Apache Kafka, S3Proxy, ...) from Maven Central
 * into the repo's cache, with the machine's Maven and Java: no Docker, no
 * tarballs, nothing installed system-wide.
 *
 * For a cache name and a list of Maven coordinates it writes a minimal
 * `pom.xml` into `.cache/maven/<name>/` and runs
 * `mvn -q dependency:copy-dependencies`, which leaves every jar (the
 * artifacts and their runtime dependencies) in `.cache/maven/<name>/lib/`.
 * Maven's own download cache goes to `.cache/maven/.m2/`, so the whole fetch
 * lives under the gitignored `.cache/`.
 *
 * Idempotent: a marker file `.complete` (holding the coordinates) is written
 * last; when it is present and names the same coordinates, the call returns at
 * once without running Maven. Safe when two test processes fetch the same
 * name at once: each copies into its own folder and renames it into place.
 *
 * @example
 * ```ts
 * const lib = await mavenFetch({
 *   name: "kafka-3.9.1",
 *   artifacts: ["org.apache.kafka:kafka_2.13:3.9.1"],
 * });
 * const classpath = await classpathOf(lib); // "…/lib/a.jar:…/lib/b.jar"
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { REPO_ROOT } from "./process.ts";

/** The default root of all Maven fetches: `<repo>/.cache/maven`. */
export const MAVEN_CACHE_ROOT: string = join(REPO_ROOT, ".cache", "maven");

/** One dependency of the generated pom. */
export interface MavenArtifact {
  /** e.g. `org.apache.kafka` */
  groupId: string;
  /** e.g. `kafka_2.13` */
  artifactId: string;
  /** An exact version, e.g. `3.9.1` (no ranges: the cache must be reproducible). */
  version: string;
  /** Maven `<exclusions>`, each `groupId:artifactId` (`*` allowed as Maven allows). */
  exclusions?: string[];
}

/** Options of {@linkcode mavenFetch}. */
export interface MavenFetchOptions {
  /**
   * The cache folder name under the cache root, e.g. `kafka-3.9.1`. Letters,
   * digits, `.`, `_` and `-` only. Put the version in it: a new version then
   * gets a new folder and the old one stays usable.
   */
  name: string;
  /** Coordinates as `groupId:artifactId:version` strings or {@linkcode MavenArtifact} objects. */
  artifacts: (string | MavenArtifact)[];
  /** Where the `<name>/` folders go. @default {@linkcode MAVEN_CACHE_ROOT} */
  cacheRoot?: string;
  /** Maven's download cache (`-Dmaven.repo.local`). @default `<MAVEN_CACHE_ROOT>/.m2` */
  localRepository?: string;
  /** The Maven binary. @default $MVN_BIN, else `mvn` from PATH */
  mvn?: string;
  /** Gives up (and kills Maven) after this long, in ms. @default 600_000 */
  timeoutMs?: number;
}

/** Raised when the options are invalid or Maven fails; the message holds Maven's output tail. */
export class MavenFetchError extends Error {
  override readonly name = "MavenFetchError";
}

const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;
const COORDINATE_PART = /^[A-Za-z0-9._-]+$/;
const MARKER_FILE = ".complete";

/**
 * Makes sure `<cacheRoot>/<name>/lib/*.jar` holds the artifacts and their
 * runtime dependencies, fetching them with Maven if the cache is missing or
 * was made for other coordinates.
 *
 * @returns the absolute path of the `lib` folder.
 * @throws {MavenFetchError} on a bad name or coordinate, when `mvn` is
 * missing, fails (e.g. no network) or outlives `timeoutMs`.
 */
export async function mavenFetch(options: MavenFetchOptions): Promise<string> {
  if (!NAME_PATTERN.test(options.name) || options.name.startsWith(".")) {
    throw new MavenFetchError(
      `name: ${
        JSON.stringify(options.name)
      } is not allowed (letters, digits, ".", "_", "-"; not starting with ".")`,
    );
  }
  const artifacts = options.artifacts.map(parseArtifact);
  if (artifacts.length === 0) throw new MavenFetchError("artifacts: at least one is required");
  const root = options.cacheRoot ?? MAVEN_CACHE_ROOT;
  const dir = join(root, options.name);
  const libDir = join(dir, "lib");
  const marker = JSON.stringify({ artifacts }, null, 2) + "\n";
  if (await isComplete(dir, marker)) return libDir;

  await Deno.mkdir(dir, { recursive: true });
  const pomPath = join(dir, "pom.xml");
  await writeAtomically(pomPath, pomXml(options.name, artifacts));
  // Each caller copies into its own folder, then renames it into place, so a
  // concurrent fetch of the same name never sees a half-filled lib/.
  const partial = join(dir, `lib.partial-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  try {
    await runMaven({
      mvn: options.mvn ?? Deno.env.get("MVN_BIN") ?? "mvn",
      pomPath,
      outputDirectory: partial,
      localRepository: options.localRepository ?? join(MAVEN_CACHE_ROOT, ".m2"),
      timeoutMs: options.timeoutMs ?? 600_000,
    });
    const jars = await listJars(partial);
    if (jars.length === 0) {
      throw new MavenFetchError(`mvn produced no jars in ${partial} for ${options.name}`);
    }
    if (await isComplete(dir, marker)) return libDir; // someone else finished first
    await Deno.remove(libDir, { recursive: true }).catch(() => {}); // stale coordinates
    try {
      await Deno.rename(partial, libDir);
    } catch (error) {
      if (await isComplete(dir, marker)) return libDir;
      throw error;
    }
    await writeAtomically(join(dir, MARKER_FILE), marker);
    return libDir;
  } finally {
    await Deno.remove(partial, { recursive: true }).catch(() => {});
  }
}

/**
 * The Java class path of every jar in `libDir`, joined with `:` and sorted
 * (so it is the same on every run).
 */
export async function classpathOf(libDir: string): Promise<string> {
  return (await listJars(libDir)).map((jar) => join(libDir, jar)).join(":");
}

/** Total size in bytes and count of the jars in `libDir` (for fetch reports). */
export async function libSize(libDir: string): Promise<{ jars: number; bytes: number }> {
  let bytes = 0;
  const jars = await listJars(libDir);
  for (const jar of jars) bytes += (await Deno.stat(join(libDir, jar))).size;
  return { jars: jars.length, bytes };
}

/** The generated pom for `artifacts`; exported so the text can be read and tested. */
export function pomXml(name: string, artifacts: MavenArtifact[]): string {
  const deps = artifacts.map((artifact) => {
    const exclusions = (artifact.exclusions ?? []).map((exclusion) => {
      const [groupId, artifactId] = exclusion.split(":");
      return `        <exclusion><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId></exclusion>`;
    });
    return [
      "    <dependency>",
      `      <groupId>${artifact.groupId}</groupId>`,
      `      <artifactId>${artifact.artifactId}</artifactId>`,
      `      <version>${artifact.version}</version>`,
      ...(exclusions.length > 0
        ? ["      <exclusions>", ...exclusions, "      </exclusions>"]
        : []),
      "    </dependency>",
    ].join("\n");
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by tests/harness/maven_fetch.ts; do not edit. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tributary.test-servers</groupId>
  <artifactId>${name.replace(/[^A-Za-z0-9._-]/g, "_")}</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
${deps.join("\n")}
  </dependencies>
</project>
`;
}

/** Parses `groupId:artifactId:version` (or validates an object). */
export function parseArtifact(spec: string | MavenArtifact): MavenArtifact {
  const artifact: MavenArtifact = typeof spec === "string" ? fromString(spec) : spec;
  const parts = [artifact.groupId, artifact.artifactId, artifact.version];
  if (!parts.every((part) => typeof part === "string" && COORDINATE_PART.test(part))) {
    throw new MavenFetchError(
      `artifacts: ${JSON.stringify(spec)} is not a coordinate (groupId:artifactId:version, ` +
        "letters, digits, '.', '_', '-')",
    );
  }
  for (const exclusion of artifact.exclusions ?? []) {
    const [groupId, artifactId, extra] = exclusion.split(":");
    const ok = (part: string | undefined) =>
      part !== undefined && /^(\*|[A-Za-z0-9._-]+)$/.test(part);
    if (!ok(groupId) || !ok(artifactId) || extra !== undefined) {
      throw new MavenFetchError(
        `artifacts: exclusion ${JSON.stringify(exclusion)} is not groupId:artifactId`,
      );
    }
  }
  return {
    groupId: artifact.groupId,
    artifactId: artifact.artifactId,
    version: artifact.version,
    ...(artifact.exclusions?.length ? { exclusions: [...artifact.exclusions] } : {}),
  };
}

function fromString(spec: string): MavenArtifact {
  const [groupId, artifactId, version, extra] = spec.split(":");
  if (extra !== undefined) {
    throw new MavenFetchError(`artifacts: ${JSON.stringify(spec)} has more than three parts`);
  }
  return { groupId: groupId ?? "", artifactId: artifactId ?? "", version: version ?? "" };
}

async function isComplete(dir: string, marker: string): Promise<boolean> {
  try {
    return await Deno.readTextFile(join(dir, MARKER_FILE)) === marker &&
      (await listJars(join(dir, "lib"))).length > 0;
  } catch {
    return false;
  }
}

async function listJars(dir: string): Promise<string[]> {
  const jars: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".jar")) jars.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return jars.sort();
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(temp, text);
  await Deno.rename(temp, path);
}

async function runMaven(options: {
  mvn: string;
  pomPath: string;
  outputDirectory: string;
  localRepository: string;
  timeoutMs: number;
}): Promise<void> {
  const args = [
    "-q",
    "-B",
    "-f",
    options.pomPath,
    `-Dmaven.repo.local=${options.localRepository}`,
    "dependency:copy-dependencies",
    `-DoutputDirectory=${options.outputDirectory}`,
    "-DincludeScope=runtime",
  ];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(options.mvn, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new MavenFetchError(
      `cannot run ${options.mvn} (${(error as Error).message}); install Maven 3.8+ and Java 17 ` +
        "(apt-get install -y maven openjdk-17-jdk-headless) or set MVN_BIN",
    );
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }, options.timeoutMs);
  try {
    const output = await child.output();
    if (timedOut) {
      throw new MavenFetchError(
        `${options.mvn} ${args.join(" ")} timed out after ${options.timeoutMs} ms`,
      );
    }
    if (!output.success) {
      const text = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      throw new MavenFetchError(
        `${options.mvn} ${args.join(" ")} exited with code ${output.code}; output tail:\n` +
          text.split("\n").slice(-40).join("\n"),
      );
    }
  } finally {
    clearTimeout(timer);
  }
}
