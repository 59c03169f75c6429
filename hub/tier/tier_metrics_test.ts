import { assert } from "@tributary/shared/testing/asserts";
import { Registry } from "prom-client";
import { createTierMetrics } from "./tier_metrics.ts";

Deno.test("createTierMetrics registers the tier counters on the given registry", async () => {
  const registry = new Registry();
  const metrics = createTierMetrics(registry);
  metrics.rows.inc({ kind: "readings" }, 5);
  metrics.failures.inc({ step: "tier" });
  const page = await registry.metrics();
  assert(page.includes('tributary_hub_tier_rows_total{kind="readings"} 5'));
  assert(page.includes('tributary_hub_tier_failures_total{step="tier"} 1'));
  assert(page.includes("tributary_hub_tier_cache_lookups_total"));
});
