import * as zlib from "node:zlib";
import { assert, assertEquals, assertMatch, assertThrows } from "../testing/asserts.ts";
import {
  codecFromId,
  codecId,
  CODECS,
  compressBody,
  decompressBody,
  DEFAULT_LEVELS,
  isCodec,
} from "./codec.ts";
import { WireError } from "./errors.ts";

const raw = new TextEncoder().encode("tributary ".repeat(500));

Deno.test("codecId and codecFromId map none, gzip, zstd to 0, 1, 2", () => {
  assertEquals(CODECS.map(codecId), [0, 1, 2]);
  assertEquals([0, 1, 2, 3, 255].map(codecFromId), ["none", "gzip", "zstd", undefined, undefined]);
  assert(isCodec("zstd") && !isCodec("lz4") && !isCodec(2));
});

Deno.test("compressBody and decompressBody round-trip with every codec and level", () => {
  for (const codec of CODECS) {
    const body = compressBody(raw, codec);
    if (codec === "none") assertEquals(body, raw);
    else assert(body.length < raw.length / 10, `${codec} compresses`);
    assertEquals(decompressBody(body, codec, raw.length), raw);
  }
  for (const level of [1, 3, 19]) {
    assertEquals(decompressBody(compressBody(raw, "zstd", level), "zstd", raw.length), raw);
  }
  assertEquals(DEFAULT_LEVELS.zstd, 3);
});

Deno.test("compressBody rejects levels the codec does not accept", () => {
  assertThrows(() => compressBody(raw, "zstd", 0), RangeError, "1..22");
  assertThrows(() => compressBody(raw, "gzip", 1.5), RangeError, "0..9");
  assertEquals(compressBody(raw, "none", 99), raw);
});

Deno.test("decompressBody reports corrupt_body for garbage and truncation", () => {
  for (const codec of ["gzip", "zstd"] as const) {
    const error = assertThrows(
      () => decompressBody(new Uint8Array([1, 2, 3, 4, 5]), codec, 10),
      WireError,
    );
    assertEquals(error.code, "corrupt_body");
    const body = compressBody(raw, codec);
    const cut = assertThrows(
      () => decompressBody(body.subarray(0, body.length - 4), codec, raw.length),
      WireError,
    );
    assertEquals(cut.code, "corrupt_body");
  }
});

Deno.test("decompressBody stops a decompression bomb at the declared raw length", () => {
  const bomb = zlib.zstdCompressSync(new Uint8Array(256 * 1024 * 1024));
  assert(bomb.length < 64 * 1024, `bomb is ${bomb.length} bytes`);
  const started = performance.now();
  const error = assertThrows(() => decompressBody(bomb, "zstd", 1000), WireError);
  assertEquals(error.code, "corrupt_body");
  assert(performance.now() - started < 500, "stops early");
  const gzipBomb = zlib.gzipSync(new Uint8Array(16 * 1024 * 1024));
  assertMatch(
    assertThrows(() => decompressBody(gzipBomb, "gzip", 1000), WireError).message,
    /gzip decompression failed/,
  );
});

Deno.test("decompressBody returns a plain Uint8Array, not a pooled Node Buffer", () => {
  const out = decompressBody(compressBody(raw, "gzip"), "gzip", raw.length);
  assertEquals(Object.getPrototypeOf(out), Uint8Array.prototype);
});
