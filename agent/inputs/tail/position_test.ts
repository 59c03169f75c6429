import { assertEquals } from "@tributary/shared/testing/asserts";
import { checkpointName, decodePosition, encodePosition, fromHex, toHex } from "./position.ts";

Deno.test("positions round-trip and bad ones decode to undefined", () => {
  const p = { dev: 64512, ino: 1234567, offset: 99 };
  assertEquals(decodePosition(encodePosition(p)), p);
  assertEquals(checkpointName("/var/log/a.log"), "file:/var/log/a.log");
  assertEquals(decodePosition(undefined), undefined);
  assertEquals(decodePosition("17"), undefined);
  assertEquals(decodePosition('{"dev":1,"ino":2,"offset":-1}'), undefined);
  assertEquals(decodePosition("{"), undefined);
});

Deno.test("positions keep a hex fingerprint; hex round-trips", () => {
  const bytes = new Uint8Array([0, 1, 0xab, 0xff, 0x0a]);
  assertEquals(toHex(bytes), "0001abff0a");
  assertEquals(fromHex(toHex(bytes)), bytes);
  const p = { dev: 1, ino: 2, offset: 5, fp: "0001abff0a" };
  assertEquals(decodePosition(encodePosition(p)), p);
  assertEquals(decodePosition('{"dev":1,"ino":2,"offset":5,"fp":"xyz"}'), {
    dev: 1,
    ino: 2,
    offset: 5,
  });
});
