import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
} from "@tributary/shared/testing/asserts";
import { bearerToken, generateToken, generateTokenId, hashToken } from "./tokens.ts";

Deno.test("generateToken gives 256-bit prefixed tokens, never the same twice", () => {
  const a = generateToken();
  assertMatch(a, /^trb_[A-Za-z0-9_-]{43}$/);
  assertNotEquals(a, generateToken());
  assertMatch(generateTokenId(), /^[0-9a-f]{16}$/);
});

Deno.test("hashToken is SHA-256 hex", async () => {
  assertEquals(
    await hashToken("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("bearerToken reads the Authorization header and refuses other schemes", () => {
  assertEquals(bearerToken("Bearer trb_x"), "trb_x");
  assertEquals(bearerToken("bearer  trb_x "), "trb_x");
  assertEquals(bearerToken("Basic dXNlcjpwYXNz"), undefined);
  assertEquals(bearerToken("Bearer"), undefined);
  assertEquals(bearerToken(null), undefined);
  assert(bearerToken("Bearer a b") === undefined);
});
