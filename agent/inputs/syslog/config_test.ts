import { parse } from "smol-toml";
import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { defaultSyslogConfig, validateSyslogConfig } from "./config.ts";

Deno.test("sample.toml shows the defaults of the code", async () => {
  const text = await Deno.readTextFile(new URL("./sample.toml", import.meta.url));
  const table = (parse(text).inputs as Record<string, unknown>[])[0]!;
  const { type, ...options } = table;
  assertEquals(type, "syslog");
  assertEquals(options, { ...defaultSyslogConfig() });
  assertEquals(validateSyslogConfig(table, "inputs[0]"), defaultSyslogConfig());
});

Deno.test("validateSyslogConfig names bad fields, values and what is allowed", () => {
  assertThrows(
    () => validateSyslogConfig({ udp_listen: "5514" }, "inputs[2]"),
    ConfigError,
    'inputs[2].udp_listen: got "5514", expected "" (off) or an address "host:port"',
  );
  assertThrows(
    () => validateSyslogConfig({ udp_listen: "", tcp_listen: "" }, "inputs[0]"),
    ConfigError,
    "inputs[0].udp_listen",
  );
  assertThrows(
    () => validateSyslogConfig({ max_message_bytes: 10 }, "inputs[0]"),
    ConfigError,
    "inputs[0].max_message_bytes: got 10, expected an integer from 480",
  );
  assertThrows(
    () => validateSyslogConfig({ port: 514 }, "inputs[0]"),
    ConfigError,
    "inputs[0].port: got 514, expected no such option",
  );
  assertEquals(validateSyslogConfig({ tcp_listen: "" }, "x").tcp_listen, "");
});
