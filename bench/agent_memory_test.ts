import { assertEquals } from "@tributary/shared/testing/asserts";
import { describeParts, memoryParts, startMemoryPartsSampler } from "./agent_memory.ts";

Deno.test("memoryParts reads DuckDB's, V8's and glibc's bytes from a metrics page, in MiB", () => {
  const page = [
    "# HELP tributary_agent_duckdb_memory_bytes DuckDB's native memory",
    'tributary_agent_duckdb_memory_bytes{state="allocated"} 10485760',
    'tributary_agent_duckdb_memory_bytes{state="resident"} 20971520',
    "nodejs_heap_size_used_bytes 3145728",
    "nodejs_heap_size_total_bytes 4194304",
    "nodejs_external_memory_bytes 524288",
    "nodejs_heap_size_used_bytes_other 1",
    'tributary_agent_malloc_bytes{state="mmapped"} 2097152',
  ].join("\n");
  assertEquals(memoryParts(page), {
    duckdbAllocatedMiB: 10,
    duckdbResidentMiB: 20,
    v8HeapMiB: 3,
    v8HeapTotalMiB: 4,
    externalMiB: 0.5,
    mallocMmappedMiB: 2,
  });
  // An agent from before the DuckDB gauge: only what it reports.
  assertEquals(memoryParts("nodejs_heap_size_used_bytes 1048576\n"), { v8HeapMiB: 1 });
});

Deno.test("describeParts lines up the parts every stage saw, in stage order", () => {
  const idle = { v8HeapMiB: 30, mallocInUseMiB: 20 };
  const early = { v8HeapMiB: 31, mallocInUseMiB: 35 };
  const draining = { v8HeapMiB: 32.25, mallocInUseMiB: 40, duckdbResidentMiB: 24 };
  assertEquals(
    describeParts([["idle", idle], ["first 30 s", early], ["median draining", draining]]),
    "; by part, idle → first 30 s → median draining (MiB): V8 heap 30.0 → 31.0 → 32.3, " +
      "glibc in use 20.0 → 35.0 → 40.0",
  );
  // A stage without figures (an agent that does not report them) is left out.
  assertEquals(
    describeParts([["idle", idle], ["first 30 s", undefined], ["median draining", draining]]),
    "; by part, idle → median draining (MiB): V8 heap 30.0 → 32.3, glibc in use 20.0 → 40.0",
  );
  assertEquals(describeParts([["idle", idle], ["median draining", undefined]]), "");
});

Deno.test("startMemoryPartsSampler gives the medians of all scrapes and of a window of them", async () => {
  let scrapes = 0;
  // The first scrape sees 1 MiB of V8 heap, every later one 3 MiB.
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(`nodejs_heap_size_used_bytes ${++scrapes === 1 ? 1048576 : 3145728}\n`),
  );
  try {
    const sampler = startMemoryPartsSampler(`http://127.0.0.1:${server.addr.port}`, 20);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(await sampler.stop(), { v8HeapMiB: 3 });
    assertEquals(sampler.windowMedians(0, 10), { v8HeapMiB: 1 }); // only the first (at ~0 ms; the next at 20)
    assertEquals(sampler.windowMedians(10, 1000), { v8HeapMiB: 3 }); // all but the first
  } finally {
    await server.shutdown();
  }
});
