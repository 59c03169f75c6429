import type { InputFactory } from "../input.ts";
import { assertSampleMatchesDefaults } from "../testing/sample_config.ts";
import { systemInput } from "./mod.ts";

Deno.test("system sample.toml names every option at its default", async () => {
  await assertSampleMatchesDefaults(
    systemInput as InputFactory<unknown>,
    new URL("./sample.toml", import.meta.url),
  );
});
