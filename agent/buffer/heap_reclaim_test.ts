import { assertEquals } from "@tributary/shared/testing/asserts";
import { createHeapReclaimer, type GcFunction } from "./heap_reclaim.ts";

/** A heap whose size the test sets, and a gc that records its calls. */
function fakeHeap() {
  const heap = { used: 10_000_000, calls: [] as string[] };
  const gc: GcFunction = ({ type }) => {
    heap.calls.push(type);
    if (type === "major") heap.used = 10_000_000;
  };
  return { heap, gc, usedHeapBytes: () => heap.used };
}

Deno.test("createHeapReclaimer runs a minor collection until the heap has grown by the threshold", () => {
  const { heap, gc, usedHeapBytes } = fakeHeap();
  const reclaim = createHeapReclaimer({ gc, usedHeapBytes, majorAfterBytes: 1_000 });
  assertEquals(reclaim(), "minor");
  heap.used += 1_000; // exactly the threshold: not yet
  assertEquals(reclaim(), "minor");
  heap.used += 1;
  assertEquals(reclaim(), "major");
  // Measured again after the major collection: growth counts from there.
  heap.used += 999;
  assertEquals(reclaim(), "minor");
  assertEquals(heap.calls, ["minor", "minor", "major", "minor"]);
});

Deno.test("createHeapReclaimer does nothing when V8 does not expose gc", () => {
  // This test process runs without --expose-gc.
  assertEquals((globalThis as { gc?: unknown }).gc, undefined);
  const reclaim = createHeapReclaimer({ usedHeapBytes: () => Number.MAX_SAFE_INTEGER });
  assertEquals(reclaim(), "none");
});

Deno.test("createHeapReclaimer collects for real with --expose-gc", async () => {
  // A child with V8's real gc() and heap statistics: garbage that survives a
  // minor collection is promoted, and only the major one gives it back.
  const script = `
    import { createHeapReclaimer } from ${JSON.stringify(import.meta.resolve("./heap_reclaim.ts"))};
    const reclaim = createHeapReclaimer({ majorAfterBytes: 2 * 1024 * 1024 });
    const seen = new Set();
    let keep = [];
    for (let i = 0; i < 200; i++) {
      keep.push(Array.from({ length: 2000 }, (_, j) => "row " + i + " " + j));
      seen.add(reclaim());
      if (keep.length > 3) keep = [];
    }
    console.log(JSON.stringify([...seen].sort()));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.success, true, stderr);
  assertEquals(JSON.parse(new TextDecoder().decode(out.stdout)), ["major", "minor"]);
});
