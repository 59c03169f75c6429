import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import {
  formatListen,
  readBool,
  readChoice,
  readInt,
  readListen,
  readNumber,
  readString,
  readTable,
  rejectUnknownKeys,
  tableReader,
} from "./fields.ts";

Deno.test("readInt returns the fallback for undefined and checks range and integrality", () => {
  assertEquals(readInt(undefined, "a.b", 7, { min: 0, max: 9 }), 7);
  assertEquals(readInt(3, "a.b", 7, { min: 0, max: 9 }), 3);
  assertThrows(
    () => readInt(10, "a.b", 7, { min: 0, max: 9 }),
    ConfigError,
    "a.b: got 10, expected an integer from 0 to 9",
  );
  assertThrows(() => readInt(1.5, "a.b", 7, { min: 0, max: 9 }), ConfigError, "a.b: got 1.5");
});

Deno.test("readInt without max accepts safe integers at or above min, and bigint from TOML", () => {
  assertEquals(readInt(undefined, "f", 7, { min: 0 }), 7);
  assertEquals(readInt(5, "f", 7, { min: 0 }), 5);
  assertEquals(readInt(5n, "f", 7, { min: 0 }), 5);
  assertThrows(
    () => readInt(-1, "a.b", 7, { min: 0 }),
    ConfigError,
    "a.b: got -1, expected an integer >= 0",
  );
  assertThrows(() => readInt(1.5, "a.b", 7, { min: 0 }), ConfigError, "got 1.5");
  assertThrows(() => readInt(2n ** 60n, "a.b", 7, { min: 0 }), ConfigError, "a.b: got");
});

Deno.test("readNumber, readString, readBool and readChoice name the field", () => {
  assertEquals(readNumber(0.5, "r", 1, { min: 0, max: 1 }), 0.5);
  assertThrows(() => readNumber(Infinity, "r", 1, { min: 0, max: 1 }), ConfigError, "r: got");
  assertThrows(() => readString(3, "s", ""), ConfigError, "s: got 3, expected a string");
  assertThrows(
    () => readString("", "s", "x", { nonEmpty: true }),
    ConfigError,
    's: got "", expected a non-empty string',
  );
  assertEquals(readBool(undefined, "b", true), true);
  assertThrows(() => readBool(1, "b", true), ConfigError, "b: got 1, expected true or false");
  assertThrows(
    () => readBool("yes", "b", true),
    ConfigError,
    'b: got "yes", expected true or false',
  );
  assertThrows(
    () => readChoice("x", "c", "a", ["a", "b"]),
    ConfigError,
    'c: got "x", expected one of "a", "b"',
  );
});

Deno.test("readTable and rejectUnknownKeys refuse non-tables and typos", () => {
  assertEquals(readTable(undefined, "t"), {});
  assertThrows(() => readTable([1], "t"), ConfigError, "t: got [1], expected a table");
  assertThrows(() => readTable([], "t"), ConfigError, "t: got [], expected a table");
  assertThrows(
    () => rejectUnknownKeys({ lsiten: 1 }, ["listen"], "http"),
    ConfigError,
    "http.lsiten: got 1, expected no such option (known: listen)",
  );
  assertThrows(
    () => rejectUnknownKeys({ x: 1 }, ["y"], ""),
    ConfigError,
    "x: got 1, expected no such option (known: y)",
  );
});

Deno.test("readListen parses host:port and [v6]:port, port 0 allowed", () => {
  assertEquals(readListen("127.0.0.1:0", "l", ""), { hostname: "127.0.0.1", port: 0 });
  assertEquals(readListen("[::1]:8081", "l", ""), { hostname: "::1", port: 8081 });
  assertEquals(readListen("[::]:0", "l", ""), { hostname: "::", port: 0 });
  assertEquals(readListen(undefined, "l", "localhost:80"), { hostname: "localhost", port: 80 });
  for (const bad of ["8081", ":80", "host:", "host:99999", "a:b:1", "h:123456", "", 80]) {
    assertThrows(
      () => readListen(bad, "http.listen", ""),
      ConfigError,
      "http.listen: got",
    );
  }
  assertThrows(
    () => readListen("80", "l", ""),
    ConfigError,
    'l: got "80", expected an address "host:port" with a port from 0 to 65535',
  );
  assertThrows(
    () => readListen("80", "l", "", { allowed: '"host:port"' }),
    ConfigError,
    'l: got "80", expected "host:port"',
  );
});

Deno.test("formatListen is the inverse of readListen", () => {
  assertEquals(formatListen({ hostname: "127.0.0.1", port: 9 }), "127.0.0.1:9");
  assertEquals(formatListen({ hostname: "::1", port: 0 }), "[::1]:0");
  for (const text of ["127.0.0.1:9", "[::1]:0"]) {
    assertEquals(formatListen(readListen(text, "l", "")), text);
  }
});

Deno.test("tableReader reads each key of the table with its default, and names <field>.<key> in errors", () => {
  const defaults = { poll_ms: 100, ratio: 0.5, source: "app", follow: true, start_at: "end" };
  const r = tableReader(
    { poll_ms: 250, source: "db", start_at: "beginning" },
    "inputs.tail",
    defaults,
  );
  assertEquals(r.path("poll_ms"), "inputs.tail.poll_ms");
  assertEquals(r.int("poll_ms", { min: 1 }), 250);
  assertEquals(r.number("ratio", { min: 0, max: 1 }), 0.5);
  assertEquals(r.string("source", { nonEmpty: true }), "db");
  assertEquals(r.bool("follow"), true);
  assertEquals(r.choice("start_at", ["beginning", "end"]), "beginning");
  const bad = tableReader(
    { poll_ms: 0, ratio: 2, source: 1, follow: "yes", start_at: "middle" },
    "inputs.tail",
    defaults,
  );
  const cases: [() => unknown, string][] = [
    [() => bad.int("poll_ms", { min: 1 }), "inputs.tail.poll_ms: got 0, expected an integer >= 1"],
    [() => bad.number("ratio", { min: 0, max: 1 }), "inputs.tail.ratio: got 2"],
    [() => bad.string("source"), "inputs.tail.source: got 1"],
    [() => bad.bool("follow"), 'inputs.tail.follow: got "yes"'],
    [() => bad.choice("start_at", ["beginning", "end"]), 'one of "beginning", "end"'],
  ];
  for (const [read, message] of cases) assertThrows(read, ConfigError, message);
  // At the root of a file, the key alone is the path.
  assertEquals(tableReader({}, "", defaults).path("poll_ms"), "poll_ms");
});
