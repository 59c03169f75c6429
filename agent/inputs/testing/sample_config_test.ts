import { assertRejects } from "@tributary/shared/testing/asserts";
import type { InputFactory } from "../input.ts";
import { systemInput } from "../system/mod.ts";
import { assertSampleMatchesDefaults } from "./sample_config.ts";

Deno.test("assertSampleMatchesDefaults fails on a sample that leaves an option out or differs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = `${dir}/missing.toml`;
    await Deno.writeTextFile(missing, '[[inputs]]\ntype = "system"\n');
    await assertRejects(
      () =>
        assertSampleMatchesDefaults(
          systemInput as InputFactory<unknown>,
          new URL(`file://${missing}`),
        ),
      Error,
      "options missing",
    );
    const differs = `${dir}/differs.toml`;
    await Deno.writeTextFile(differs, '[[inputs]]\ntype = "system"\ninterval_s = 3\n');
    await assertRejects(
      () =>
        assertSampleMatchesDefaults(
          systemInput as InputFactory<unknown>,
          new URL(`file://${differs}`),
        ),
      Error,
      "values = defaults",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
