import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import { ConfigError } from "@tributary/shared/errors";
import {
  bool,
  formatListen,
  int,
  listenAddress,
  nonEmpty,
  onlyKeys,
  str,
  table,
} from "./config_values.ts";

Deno.test("int accepts safe integers at or above the minimum, and bigint from TOML", () => {
  assertEquals(int(undefined, "f", 7, 0), 7);
  assertEquals(int(5, "f", 7, 0), 5);
  assertEquals(int(5n, "f", 7, 0), 5);
  assertThrows(() => int(-1, "a.b", 7, 0), ConfigError, "a.b: got -1, expected an integer >= 0");
  assertThrows(() => int(1.5, "a.b", 7, 0), ConfigError, "got 1.5");
});

Deno.test("listenAddress parses host:port and [v6]:port and refuses the rest", () => {
  assertEquals(listenAddress("0.0.0.0:80", "l", { hostname: "x", port: 1 }), {
    hostname: "0.0.0.0",
    port: 80,
  });
  assertEquals(listenAddress("[::]:0", "l", { hostname: "x", port: 1 }), {
    hostname: "::",
    port: 0,
  });
  assertEquals(listenAddress(undefined, "l", { hostname: "x", port: 1 }), {
    hostname: "x",
    port: 1,
  });
  for (const bad of ["80", ":80", "host:", "a:b:c", "h:123456", 80]) {
    assertThrows(
      () => listenAddress(bad, "http.listen", { hostname: "x", port: 1 }),
      ConfigError,
      "http.listen",
    );
  }
  assertEquals(formatListen({ hostname: "127.0.0.1", port: 9 }), "127.0.0.1:9");
});

Deno.test("table, onlyKeys, str, nonEmpty and bool name the field", () => {
  assertThrows(() => table([], "t"), ConfigError, "t: got [], expected a table");
  assertThrows(
    () => onlyKeys({ x: 1 }, "sec", ["y"]),
    ConfigError,
    "sec.x: got 1, expected no such option; allowed: y",
  );
  assertThrows(() => str(3, "s", ""), ConfigError, "s: got 3, expected a string");
  assertThrows(() => nonEmpty("", "s", "d"), ConfigError, "a non-empty string");
  assertEquals(bool(undefined, "b", true), true);
  assertThrows(() => bool(1, "b", true), ConfigError, "b: got 1, expected true or false");
});
