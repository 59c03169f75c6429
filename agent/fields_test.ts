import { ConfigError } from "@tributary/shared/errors";
import { assertEquals, assertThrows } from "@tributary/shared/testing/asserts";
import {
  readBool,
  readChoice,
  readInt,
  readListen,
  readNumber,
  readString,
  readTable,
  rejectUnknownKeys,
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

Deno.test("readNumber, readString, readBool and readChoice name the field", () => {
  assertEquals(readNumber(0.5, "r", 1, { min: 0, max: 1 }), 0.5);
  assertThrows(() => readNumber(Infinity, "r", 1, { min: 0, max: 1 }), ConfigError, "r: got");
  assertThrows(
    () => readString("", "s", "x", { nonEmpty: true }),
    ConfigError,
    's: got "", expected a non-empty string',
  );
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
  assertThrows(
    () => rejectUnknownKeys({ lsiten: 1 }, ["listen"], "http"),
    ConfigError,
    "http.lsiten: got 1, expected no such option (known: listen)",
  );
});

Deno.test("readListen parses host:port and [v6]:port, port 0 allowed", () => {
  assertEquals(readListen("127.0.0.1:0", "l", ""), { hostname: "127.0.0.1", port: 0 });
  assertEquals(readListen("[::1]:8081", "l", ""), { hostname: "::1", port: 8081 });
  assertEquals(readListen(undefined, "l", "localhost:80"), { hostname: "localhost", port: 80 });
  for (const bad of ["8081", ":80", "host:", "host:99999", "a:b:1"]) {
    assertThrows(() => readListen(bad, "http.listen", ""), ConfigError, "http.listen");
  }
});
