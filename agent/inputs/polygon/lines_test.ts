import { assertEquals } from "@tributary/shared/testing/asserts";
import { type LineItem, readLines } from "./lines.ts";

/** A stream that delivers `chunks` as given, to exercise lines split across chunks. */
function chunked(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => typeof c === "string" ? enc.encode(c) : c));
}

async function collect(stream: ReadableStream<Uint8Array>, maxLineBytes = 1024) {
  const out: LineItem[] = [];
  for await (const batch of readLines(stream, { maxLineBytes })) out.push(...batch);
  return out;
}

Deno.test("readLines joins lines split across chunks and keeps a last line without newline", async () => {
  assertEquals(await collect(chunked("a,b\nc", ",d\r\n", "", "e\n\nf")), [
    "a,b",
    "c,d",
    "e",
    "",
    "f",
  ]);
});

Deno.test("readLines yields one line per newline, empty ones included", async () => {
  assertEquals(await collect(chunked("x\n", "\n", "y\n")), ["x", "", "y"]);
});

Deno.test("readLines marks invalid UTF-8 and NUL lines bad_encoding and keeps the others", async () => {
  const bad = new Uint8Array([0x61, 0xff, 0xfe, 0x0a]);
  assertEquals(await collect(chunked("ok1\n", bad, "ok2\nw\0x\n")), [
    "ok1",
    { fault: "bad_encoding" },
    "ok2",
    { fault: "bad_encoding" },
  ]);
  // The invalid bytes inside a block of good lines only spoil their own line.
  const mixed = new Uint8Array([
    ...new TextEncoder().encode("g1\n"),
    0xc3,
    0x28,
    0x0a,
    0x67,
    0x32,
    0x0a,
  ]);
  assertEquals(await collect(chunked(mixed)), ["g1", { fault: "bad_encoding" }, "g2"]);
});

Deno.test("readLines skips lines over maxLineBytes without buffering them", async () => {
  const huge = "z".repeat(5000);
  assertEquals(
    await collect(
      chunked("a\n", huge.slice(0, 2500), huge.slice(2500), "\nb\n", `${huge}\nc`),
      100,
    ),
    ["a", { fault: "too_large" }, "b", { fault: "too_large" }, "c"],
  );
});

Deno.test("readLines reads a gzip stream line by line", async () => {
  const text = Array.from({ length: 20_000 }, (_, i) => `row${i}`).join("\n") + "\n";
  const gz = ReadableStream.from([new TextEncoder().encode(text)]).pipeThrough(
    new CompressionStream("gzip"),
  );
  const lines = await collect(gz.pipeThrough(new DecompressionStream("gzip")));
  assertEquals(lines.length, 20_000);
  assertEquals(lines[19_999], "row19999");
});
