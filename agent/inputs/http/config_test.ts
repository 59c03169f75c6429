import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import type { InputFactory } from "../input.ts";
import { assertSampleMatchesDefaults } from "../testing/sample_config.ts";
import { httpInput } from "./mod.ts";

Deno.test("http sample.toml names every option at its default", async () => {
  await assertSampleMatchesDefaults(
    httpInput as InputFactory<unknown>,
    new URL("./sample.toml", import.meta.url),
    ["address"],
  );
});

Deno.test("httpInput.validate parses listen and names bad fields", () => {
  assertEquals(httpInput.validate({ listen: "[::1]:0" }, "in").address, {
    hostname: "::1",
    port: 0,
  });
  assertThrows(
    () => httpInput.validate({ listen: "nope" }, "inputs[3]"),
    ConfigError,
    "inputs[3].listen",
  );
  assertThrows(
    () => httpInput.validate({ json_precision: "fortnight" }, "inputs[0]"),
    ConfigError,
    "inputs[0].json_precision",
  );
  assertThrows(
    () => httpInput.validate({ max_body_bytes: 2048, max_line_bytes: 4096 }, "inputs[0]"),
    ConfigError,
    "inputs[0].max_line_bytes: got 4096, expected an integer from 64 to 2048",
  );
  assertThrows(() => httpInput.validate({ port: 1 }, "inputs[0]"), ConfigError, "inputs[0].port");
});
