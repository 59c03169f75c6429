import { Registry } from "prom-client";
import { assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import type { AgentSummary } from "./store/agents.ts";
import { registerFleetMetrics } from "./fleet_metrics.ts";

function agent(id: string, overrides: Partial<AgentSummary> = {}): AgentSummary {
  return {
    agent: id,
    last_seen: "2026-01-01T00:00:00Z",
    streams: {},
    last_heartbeat: "2026-01-01T00:00:00Z",
    version: "0.1.0",
    uptime_s: 10,
    backlog: { readings: { rows: 42, bytes: 4200, oldest_unsent_age_s: 3.5 } },
    dropped: { readings: { budget_evicted: 7 }, logs: {} },
    stale: false,
    ...overrides,
  };
}

Deno.test("registerFleetMetrics shows each agent's reported backlog, drops and heartbeat age", async () => {
  const registry = new Registry();
  let list = [agent("a1"), agent("a2", { last_heartbeat: null, backlog: {}, dropped: {} })];
  let calls = 0;
  registerFleetMetrics(
    registry,
    () => {
      calls += 1;
      return Promise.resolve(list);
    },
    () => Date.parse("2026-01-01T00:00:12Z"),
  );
  const page = await registry.metrics();
  assertEquals(calls, 1, "one store read per scrape");
  assertMatch(page, /^tributary_hub_agent_backlog_rows\{agent="a1",stream="readings"\} 42$/m);
  assertMatch(
    page,
    /^tributary_hub_agent_oldest_unsent_age_seconds\{agent="a1",stream="readings"\} 3.5$/m,
  );
  assertMatch(
    page,
    /^tributary_hub_agent_dropped_rows\{agent="a1",stream="readings",reason="budget_evicted"\} 7$/m,
  );
  assertMatch(page, /^tributary_hub_agent_heartbeat_age_seconds\{agent="a1"\} 12$/m);
  assertEquals(/agent="a2"/.test(page), false, "no heartbeat yet: no figures");

  // A later scrape: the agent that is gone disappears.
  list = [agent("a2")];
  await new Promise((resolve) => setTimeout(resolve, 300));
  const next = await registry.metrics();
  assertEquals(/agent="a1"/.test(next), false);
  assertMatch(next, /^tributary_hub_agent_backlog_rows\{agent="a2",stream="readings"\} 42$/m);
});

Deno.test("registerFleetMetrics keeps the last values when the store cannot answer", async () => {
  const registry = new Registry();
  let fail = false;
  registerFleetMetrics(
    registry,
    () => fail ? Promise.reject(new Error("closing")) : Promise.resolve([agent("a1")]),
  );
  await registry.metrics();
  fail = true;
  await new Promise((resolve) => setTimeout(resolve, 300));
  assertMatch(
    await registry.metrics(),
    /tributary_hub_agent_backlog_rows\{agent="a1",stream="readings"\} 42/,
  );
});
