import { parse } from "smol-toml";
import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { defaultTailConfig, validateTailConfig } from "./config.ts";

Deno.test("sample.toml shows the defaults of the code", async () => {
  const text = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const table = (parse(text).inputs as Record<string, unknown>[])[0]!;
  const { type, paths, ...options } = table;
  assertEquals(type, "tail");
  const { paths: _none, ...defaults } = defaultTailConfig();
  assertEquals(options, defaults);
  assertEquals(validateTailConfig(table, "inputs[0]"), {
    ...defaultTailConfig(),
    paths: paths as string[],
  });
});

Deno.test("validateTailConfig names bad fields, values and what is allowed", () => {
  assertThrows(
    () => validateTailConfig({}, "inputs[0]"),
    ConfigError,
    "inputs[0].paths: got nothing, expected a non-empty list of glob patterns",
  );
  assertThrows(
    () => validateTailConfig({ paths: [""] }, "inputs[0]"),
    ConfigError,
    "inputs[0].paths",
  );
  assertThrows(
    () => validateTailConfig({ paths: ["a"], start_at: "middle" }, "inputs[0]"),
    ConfigError,
    'inputs[0].start_at: got "middle", expected one of "end", "beginning"',
  );
  assertThrows(
    () => validateTailConfig({ paths: ["a"], multiline_start: "(" }, "inputs[1]"),
    ConfigError,
    'inputs[1].multiline_start: got "(", expected a valid regular expression',
  );
  assertThrows(
    () => validateTailConfig({ paths: ["a"], pathz: [] }, "inputs[0]"),
    ConfigError,
    "inputs[0].pathz: got [], expected no such option",
  );
  assertThrows(
    () => validateTailConfig({ paths: ["a"], level: "loud" }, "inputs[0]"),
    ConfigError,
    "inputs[0].level",
  );
});
