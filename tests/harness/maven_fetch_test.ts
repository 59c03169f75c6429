import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "../../shared/testing/asserts.ts";
import {
  classpathOf,
  libSize,
  mavenFetch,
  MavenFetchError,
  parseArtifact,
  pomXml,
} from "./maven_fetch.ts";

Deno.test("parseArtifact reads groupId:artifactId:version", () => {
  assertEquals(parseArtifact("org.slf4j:slf4j-api:1.7.36"), {
    groupId: "org.slf4j",
    artifactId: "slf4j-api",
    version: "1.7.36",
  });
});

Deno.test("parseArtifact rejects malformed coordinates, naming the value", () => {
  for (const bad of ["org.slf4j:slf4j-api", "a:b:c:d", "a:b:[1.0,2.0)", "a b:c:1"]) {
    const error = assertThrows(() => parseArtifact(bad), MavenFetchError);
    assert(error.message.includes("artifacts"), error.message);
  }
  assertThrows(
    () => parseArtifact({ groupId: "a", artifactId: "b", version: "1", exclusions: ["x"] }),
    MavenFetchError,
  );
});

Deno.test("pomXml lists each dependency with its exclusions", () => {
  const pom = pomXml("demo", [
    { groupId: "g", artifactId: "a", version: "1.0", exclusions: ["x:y"] },
    { groupId: "h", artifactId: "b", version: "2.0" },
  ]);
  assert(pom.includes("<groupId>g</groupId>") && pom.includes("<version>2.0</version>"));
  assert(pom.includes("<exclusion><groupId>x</groupId><artifactId>y</artifactId></exclusion>"));
  assertEquals(pom.match(/<dependency>/g)?.length, 2);
});

Deno.test("mavenFetch rejects a name that could escape the cache folder", async () => {
  for (const name of ["../x", ".hidden", "a/b", ""]) {
    await assertRejects(() => mavenFetch({ name, artifacts: ["g:a:1"] }), MavenFetchError);
  }
});

Deno.test("mavenFetch reports a missing mvn binary with the install hint", async () => {
  const cacheRoot = await Deno.makeTempDir({ prefix: "tributary-maven-" });
  try {
    const error = await assertRejects(
      () => mavenFetch({ name: "x", artifacts: ["g:a:1"], cacheRoot, mvn: "/nonexistent/mvn" }),
      MavenFetchError,
    );
    assert(error.message.includes("apt-get install"), error.message);
  } finally {
    await Deno.remove(cacheRoot, { recursive: true });
  }
});

Deno.test({
  name: "mavenFetch copies jars with dependencies, then skips Maven when complete",
  // Real Maven against Maven Central (its plugins are cached under .cache/maven/.m2).
  async fn() {
    const cacheRoot = await Deno.makeTempDir({ prefix: "tributary-maven-" });
    try {
      const options = {
        name: "slf4j-simple",
        artifacts: ["org.slf4j:slf4j-simple:1.7.36"],
        cacheRoot,
      };
      const lib = await mavenFetch(options);
      assertEquals(lib, join(cacheRoot, "slf4j-simple", "lib"));
      const jars = [...Deno.readDirSync(lib)].map((entry) => entry.name).sort();
      // slf4j-api comes along as a runtime dependency.
      assertEquals(jars, ["slf4j-api-1.7.36.jar", "slf4j-simple-1.7.36.jar"]);
      assert((await classpathOf(lib)).split(":").every((path) => path.startsWith(lib)));
      assertEquals((await libSize(lib)).jars, 2);

      // Second call: no Maven at all (a broken mvn proves it is not run).
      const again = await mavenFetch({ ...options, mvn: "/nonexistent/mvn" });
      assertEquals(again, lib);

      // Other coordinates under the same name invalidate the marker.
      await assertRejects(
        () =>
          mavenFetch({
            ...options,
            artifacts: ["org.slf4j:slf4j-nop:1.7.36"],
            mvn: "/nonexistent/mvn",
          }),
        MavenFetchError,
      );
    } finally {
      await Deno.remove(cacheRoot, { recursive: true });
    }
  },
});

Deno.test("mavenFetch fails with Maven's output when an artifact does not exist", async () => {
  const cacheRoot = await Deno.makeTempDir({ prefix: "tributary-maven-" });
  try {
    const error = await assertRejects(
      () =>
        mavenFetch({
          name: "missing",
          artifacts: ["org.tributary.nonexistent:nothing:0.0.1"],
          cacheRoot,
          timeoutMs: 120_000,
        }),
      MavenFetchError,
    );
    assert(error.message.includes("exited with code"), error.message);
    const left = [...Deno.readDirSync(join(cacheRoot, "missing"))].map((entry) => entry.name);
    assert(!left.includes("lib") && !left.includes(".complete"), left.join(","));
  } finally {
    await Deno.remove(cacheRoot, { recursive: true });
  }
});
