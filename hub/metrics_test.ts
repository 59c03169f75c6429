import { assert, assertMatch } from "@tributary/shared/testing/asserts";
import { createHubMetrics } from "./metrics.ts";

Deno.test("createHubMetrics exposes the hub counters and histogram in its own registry", async () => {
  const metrics = createHubMetrics();
  metrics.rows.inc({ kind: "readings" }, 5);
  metrics.batches.inc({ kind: "readings", outcome: "inserted" });
  metrics.quarantined.inc({ reason: "bad_magic" });
  metrics.ingestSeconds.observe(0.002);
  const page = await metrics.registry.metrics();
  assertMatch(page, /^tributary_hub_rows_total\{kind="readings"\} 5$/m);
  assertMatch(page, /^tributary_hub_batches_total\{kind="readings",outcome="inserted"\} 1$/m);
  assertMatch(page, /^tributary_hub_quarantined_total\{reason="bad_magic"\} 1$/m);
  assertMatch(page, /^tributary_hub_ingest_seconds_count 1$/m);
  assertMatch(page, /^# TYPE tributary_hub_duplicate_rows_total counter$/m);
  assertMatch(page, /^# TYPE tributary_hub_bytes_total counter$/m);
  assertMatch(page, /^process_cpu_user_seconds_total /m);
});

Deno.test("createHubMetrics gives each hub separate counters", async () => {
  const a = createHubMetrics({ defaultMetrics: false });
  const b = createHubMetrics({ defaultMetrics: false });
  a.rows.inc({ kind: "logs" }, 3);
  assert(!(await b.registry.metrics()).includes('kind="logs"'));
});
