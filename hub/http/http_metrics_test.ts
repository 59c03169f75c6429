import { assert } from "@tributary/shared/testing/asserts";
import { Registry } from "prom-client";
import { createHttpMetrics } from "./http_metrics.ts";

Deno.test("createHttpMetrics reuses the metrics already in a registry", async () => {
  const registry = new Registry();
  const first = createHttpMetrics(registry);
  const second = createHttpMetrics(registry);
  assert(first.requests === second.requests);
  second.authFailures.inc({ reason: "missing" });
  assert(
    (await registry.metrics()).includes('tributary_hub_auth_failures_total{reason="missing"} 1'),
  );
});
