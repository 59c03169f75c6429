import { type Kind, KINDS } from "@tributary/shared/records";
import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import type { StreamStats } from "./buffer/mod.ts";
import { createAgentMetrics } from "./metrics.ts";

function stats(): Record<Kind, StreamStats> {
  const out = {} as Record<Kind, StreamStats>;
  for (const k of KINDS) {
    out[k] = {
      backlog_rows: 7,
      backlog_bytes: 700,
      oldest_unsent_age_s: 1.5,
      next_seq: 8,
      acked_rows: 3,
      dropped: { budget_evicted: 5 },
    };
  }
  return out;
}

Deno.test("createAgentMetrics exposes buffer, shipper and transport figures", async () => {
  const metrics = createAgentMetrics({
    stats: () => Promise.resolve(stats()),
    counters: () => ({
      readings: {
        rows_sent: 10,
        batches_sent: 2,
        bytes_sent: 999,
        failures: { timeout: 1 },
        rows_dropped: { budget_evicted: 1, too_large: 2 },
      },
    }),
    connected: () => true,
  });
  metrics.rowsBuffered("logs", 5);
  metrics.writeFailed("logs", "invalid_row");
  const text = await metrics.registry.metrics();
  assertMatch(text, /tributary_agent_rows_buffered_total\{stream="logs"\} 5/);
  assertMatch(text, /tributary_agent_write_failures_total\{stream="logs",reason="invalid_row"\} 1/);
  assertMatch(text, /tributary_agent_rows_sent_total\{stream="readings"\} 10/);
  assertMatch(text, /tributary_agent_bytes_sent_total\{stream="readings"\} 999/);
  assertMatch(text, /tributary_agent_send_failures_total\{stream="readings",reason="timeout"\} 1/);
  assertMatch(text, /tributary_agent_backlog_rows\{stream="quotes"\} 7/);
  assertMatch(text, /tributary_agent_oldest_unsent_age_seconds\{stream="trades"\} 1.5/);
  assertMatch(text, /tributary_agent_rows_acked_total\{stream="trades"\} 3/);
  assertMatch(text, /tributary_agent_transport_connected 1/);
  // The buffer records the shipper's drops too: per reason the larger count
  // wins (buffer 5 vs shipper 1), and a reason only the shipper knows shows.
  assertMatch(
    text,
    /tributary_agent_rows_dropped_total\{stream="readings",reason="budget_evicted"\} 5/,
  );
  assertMatch(text, /tributary_agent_rows_dropped_total\{stream="readings",reason="too_large"\} 2/);
  assertMatch(
    text,
    /tributary_agent_rows_dropped_total\{stream="logs",reason="budget_evicted"\} 5/,
  );
});

Deno.test("createAgentMetrics shows DuckDB's native memory when the agent can read it", async () => {
  const sources = {
    stats: () => Promise.resolve(stats()),
    counters: () => ({}),
    connected: () => true,
  };
  const without = await createAgentMetrics(sources, { defaultMetrics: false }).registry.metrics();
  assertEquals(without.includes("tributary_agent_duckdb_memory_bytes"), false);
  const text = await createAgentMetrics({
    ...sources,
    duckdbMemory: () => ({ allocated: 10, resident: 40, dirty: 20, muzzy: 5 }),
  }, { defaultMetrics: false }).registry.metrics();
  assertMatch(text, /tributary_agent_duckdb_memory_bytes\{state="allocated"\} 10\n/);
  assertMatch(text, /tributary_agent_duckdb_memory_bytes\{state="resident"\} 40\n/);
  assertMatch(text, /tributary_agent_duckdb_memory_bytes\{state="dirty"\} 20\n/);
  assertMatch(text, /tributary_agent_duckdb_memory_bytes\{state="muzzy"\} 5\n/);
});

Deno.test("createAgentMetrics shows glibc's heap when the process has glibc", async () => {
  const sources = {
    stats: () => Promise.resolve(stats()),
    counters: () => ({}),
    connected: () => true,
  };
  const text = await createAgentMetrics({
    ...sources,
    mallocMemory: () => ({ inUse: 7, free: 3, mmapped: 2 }),
  }, { defaultMetrics: false }).registry.metrics();
  assertMatch(text, /tributary_agent_malloc_bytes\{state="in_use"\} 7\n/);
  assertMatch(text, /tributary_agent_malloc_bytes\{state="free"\} 3\n/);
  assertMatch(text, /tributary_agent_malloc_bytes\{state="mmapped"\} 2\n/);
  // Without glibc (musl) the gauge has no samples rather than zeros.
  const none = await createAgentMetrics({ ...sources, mallocMemory: () => undefined }, {
    defaultMetrics: false,
  }).registry.metrics();
  assertEquals(/tributary_agent_malloc_bytes\{/.test(none), false);
});

Deno.test("createAgentMetrics still renders when the buffer cannot report", async () => {
  const metrics = createAgentMetrics({
    stats: () => Promise.reject(new Error("closed")),
    counters: () => ({}),
    connected: () => false,
  });
  const text = await metrics.registry.metrics();
  assertMatch(text, /tributary_agent_transport_connected 0/);
});

Deno.test("createAgentMetrics has an ack latency histogram and process figures", async () => {
  const sources = {
    stats: () => Promise.resolve(stats()),
    counters: () => ({}),
    connected: () => true,
  };
  const metrics = createAgentMetrics(sources);
  metrics.ackObserved("trades", 0.02);
  metrics.ackObserved("trades", 3);
  const text = await metrics.registry.metrics();
  assertMatch(text, /tributary_agent_ack_seconds_bucket\{le="0.025",stream="trades"\} 1/);
  assertMatch(text, /tributary_agent_ack_seconds_count\{stream="trades"\} 2/);
  assertMatch(text, /\nprocess_resident_memory_bytes \d+/);
  assertMatch(text, /\nprocess_cpu_seconds_total [\d.e+-]+/);
  // Gauges named like counters fail `promtool check metrics`: they are left out.
  assertEquals(/nodejs_active_handles_total/.test(text), false);
  const bare = await createAgentMetrics(sources, { defaultMetrics: false }).registry.metrics();
  assertEquals(/process_cpu_seconds_total/.test(bare), false);
});

Deno.test("createAgentMetrics counts records an input kept but flagged, by flag", async () => {
  const metrics = createAgentMetrics({
    stats: () => Promise.resolve(stats()),
    counters: () => ({}),
    connected: () => true,
  }, { defaultMetrics: false });
  metrics.inputFlagged("feed", "websocket", "sequence_gap", 2);
  metrics.inputFlagged("feed", "websocket", "sequence_gap", 1);
  const text = await metrics.registry.metrics();
  assertMatch(
    text,
    /tributary_agent_input_flagged_total\{input="feed",type="websocket",flag="sequence_gap"\} 3/,
  );
});
