import { parse } from "smol-toml";
import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { defaultPolygonConfig, validatePolygonConfig } from "./config.ts";

Deno.test("validatePolygonConfig fills defaults", () => {
  assertEquals(validatePolygonConfig({ type: "polygon" }, "inputs[0]"), defaultPolygonConfig());
});

Deno.test("sample.toml holds exactly the defaults of the code", async () => {
  const text = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const table = (parse(text).inputs as Record<string, unknown>[])[0]!;
  const config = validatePolygonConfig(table, "inputs[0]");
  assertEquals(config, defaultPolygonConfig());
  // Every option is spelled out in the sample, not left to the defaults.
  const keys = Object.keys(defaultPolygonConfig()).sort();
  assertEquals(Object.keys(table).filter((k) => k !== "type").sort(), keys);
  assertEquals(
    Object.keys(table.s3 as object).sort(),
    Object.keys(defaultPolygonConfig().s3).sort(),
  );
});

Deno.test("validatePolygonConfig names the field, the value and what is allowed", () => {
  assertThrows(
    () => validatePolygonConfig({ source: "ftp" }, "inputs[1]"),
    ConfigError,
    'inputs[1].source: got "ftp", expected one of "local", "s3"',
  );
  assertThrows(
    () => validatePolygonConfig({ datasets: ["trades", "options"] }, "i"),
    ConfigError,
    "i.datasets",
  );
  assertThrows(() => validatePolygonConfig({ datasets: [] }, "i"), ConfigError, "i.datasets");
  assertThrows(
    () => validatePolygonConfig({ exchanges: [1, -2] }, "i"),
    ConfigError,
    "i.exchanges[1]",
  );
  assertThrows(() => validatePolygonConfig({ batch_rows: 0 }, "i"), ConfigError, "i.batch_rows");
  assertThrows(
    () => validatePolygonConfig({ s3: { bucket: "" } }, "i"),
    ConfigError,
    "i.s3.bucket",
  );
  assertThrows(() => validatePolygonConfig({ s3: { tls: 1 } }, "i"), ConfigError, "i.s3.tls");
  assertThrows(() => validatePolygonConfig({ speed: 2 }, "i"), ConfigError, "i.speed");
  assertThrows(
    () => validatePolygonConfig({ source: "s3", s3: { endpoint: "files.polygon.io" } }, "i"),
    ConfigError,
    "i.s3.endpoint",
  );
});
