import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { bundleBrowserScript, DashboardBundleError } from "./bundle.ts";

Deno.test("bundleBrowserScript strips types and inlines imports", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-bundle-" });
  try {
    await Deno.writeTextFile(`${dir}/b.ts`, "export const twice = (n: number): number => n * 2;\n");
    await Deno.writeTextFile(
      `${dir}/a.ts`,
      'import { twice } from "./b.ts";\nconst x: number = 21;\nconsole.log(twice(x));\n',
    );
    const js = await bundleBrowserScript(new URL(`file://${dir}/a.ts`), { minify: false });
    assertMatch(js, /function twice|twice = /);
    assertEquals(/: number/.test(js), false, "type annotations removed");
    assertEquals(/from "\.\/b\.ts"/.test(js), false, "import inlined");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bundleBrowserScript reports a broken entry with deno's message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-bundle-" });
  try {
    await Deno.writeTextFile(
      `${dir}/a.ts`,
      'import { nope } from "./missing.ts";\nconsole.log(nope);\n',
    );
    let error: unknown;
    try {
      await bundleBrowserScript(new URL(`file://${dir}/a.ts`));
    } catch (e) {
      error = e;
    }
    assertEquals(error instanceof DashboardBundleError, true, String(error));
    assertMatch((error as Error).message, /missing\.ts/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
