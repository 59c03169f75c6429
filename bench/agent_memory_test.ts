import { assertEquals } from "@tributary/shared/testing/asserts";
import { memoryParts } from "./agent_memory.ts";

Deno.test("memoryParts reads DuckDB's and V8's bytes from a metrics page, in MiB", () => {
  const page = [
    "# HELP tributary_agent_duckdb_memory_bytes DuckDB's native memory",
    'tributary_agent_duckdb_memory_bytes{state="allocated"} 10485760',
    'tributary_agent_duckdb_memory_bytes{state="resident"} 20971520',
    "nodejs_heap_size_used_bytes 3145728",
    "nodejs_heap_size_total_bytes 4194304",
    "nodejs_external_memory_bytes 524288",
    "nodejs_heap_size_used_bytes_other 1",
  ].join("\n");
  assertEquals(memoryParts(page), {
    duckdbAllocatedMiB: 10,
    duckdbResidentMiB: 20,
    v8HeapMiB: 3,
    v8HeapTotalMiB: 4,
    externalMiB: 0.5,
  });
  // An agent from before the DuckDB gauge: only what it reports.
  assertEquals(memoryParts("nodejs_heap_size_used_bytes 1048576\n"), { v8HeapMiB: 1 });
});
