/**
 * The dashboard in headless Chromium against a real stack (Mosquitto, hub,
 * agent with the three simulators): every panel renders real data, the
 * filters and the SQL console work, a screenshot lands in test-artifacts/,
 * and no page error occurs. The login prompt is tested in login_test.ts.
 */
import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { waitFor } from "../harness/wait_for.ts";
import { hubQuery } from "../harness/hub_client.ts";
import { launchChromium } from "./chromium.ts";
import { startStack } from "./sim_stack.ts";
import { numberIn, saveScreenshot, until, waitPanelReady, watchErrors } from "./page_checks.ts";

Deno.test("dashboard panels render real data from a running hub in headless Chromium", async () => {
  // A short stale_after_s, so the stale marker can be seen within the test.
  await using stack = await startStack({ staleAfterS: 5 });
  // Data of every kind and a heartbeat reached the hub before the page opens.
  await waitFor(async () => {
    const [row] = (await hubQuery(
      stack.hubUrl,
      "SELECT (SELECT count(*) FROM readings), (SELECT count(*) FROM logs), " +
        "(SELECT count(*) FROM trades), (SELECT count(*) FROM quotes), " +
        "(SELECT count(*) FROM agent_heartbeats)",
    )).rows;
    return row!.every((n) => Number(n) > 0);
  }, { timeoutMs: 60_000, intervalMs: 250, message: "data of every kind at the hub" });

  await using browser = await launchChromium();
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${stack.hubUrl}/`);
  for (const id of ["agents", "ingest", "sensors", "market", "logs"]) {
    await waitPanelReady(page, id);
  }

  // Agents: our agent, online, with rows stored.
  const agentRow = page.locator('[data-testid="agents-table"] tbody tr', {
    hasText: stack.agentId,
  });
  assertEquals(await agentRow.count(), 1);
  assertEquals(await agentRow.locator('[data-testid="agent-status"]').textContent(), "online");

  // Ingest: rows stored matches the metric's order of magnitude, and a live rate appears.
  await until(
    async () => numberIn(await page.textContent('[data-testid="ingest-rate"]')) > 0,
    "a rows/s figure",
  );
  assert(numberIn(await page.textContent('[data-testid="ingest-rows"]')) > 0, "rows stored > 0");
  assertEquals(await page.locator('[data-testid="ingest-table"] tbody tr').count(), 4);
  assert(
    await page.locator('[data-testid="ingest-chart"] canvas').count() > 0,
    "ingest chart drawn",
  );

  // Sensors: a row per series with a sparkline, and the chart of the selected series.
  const sensorRows = page.locator('[data-testid="sensors-table"] tbody tr');
  assert(await sensorRows.count() >= 5, "several sensor series listed");
  assert(
    await page.locator('[data-testid="sensors-table"] svg.spark polyline').count() > 0,
    "sparklines",
  );
  await page.waitForSelector(
    '[data-testid="series-chart"][data-points]:not([data-points="0"]) canvas',
  );
  const firstSensor = (await sensorRows.nth(1).locator("td").first().textContent())!;
  await sensorRows.nth(1).click();
  await until(
    async () => (await page.textContent("#sensors .chart-title"))?.startsWith(`${firstSensor} ·`),
    "the clicked series charted",
  );

  // Market: candles with VWAP for the selected symbol, and quotes for the symbols the hub has.
  await page.waitForSelector(
    '[data-testid="candle-chart"][data-candles]:not([data-candles="0"]) canvas',
  );
  const title = await page.textContent("#market .chart-title");
  assertMatch(title ?? "", /^[A-Z]+ · 5s · last [\d.,]+ · VWAP [\d.,]+$/);
  await page.selectOption('[data-testid="interval-picker"]', "1s");
  await until(
    async () => (await page.textContent("#market .chart-title"))?.includes("· 1s ·"),
    "1 s candles",
  );
  const quoted = await page.locator('[data-testid="quotes-table"] tbody tr td:first-child')
    .allTextContents();
  const symbols = (await hubQuery(stack.hubUrl, "SELECT DISTINCT symbol FROM quotes ORDER BY 1"))
    .rows
    .map((r) => String(r[0]));
  assertEquals(quoted, symbols, "one quote row per symbol the hub stored");

  // SQL console: a result table.
  await page.fill('[data-testid="sql-input"]', "SELECT count(*) AS n FROM readings");
  await page.click('[data-testid="sql-run"]');
  await page.waitForSelector('[data-testid="sql-table"] tbody td');
  assert(numberIn(await page.textContent('[data-testid="sql-table"] tbody td')) > 0, "count > 0");
  assertMatch((await page.textContent('[data-testid="sql-status"]')) ?? "", /^1 row in \d+ ms$/);

  // Every panel shows data now: that is the screenshot a reader wants.
  await saveScreenshot(page, "dashboard.png");

  // Logs: the tail, then the minimum level and the search filters.
  assert(await page.locator('[data-testid="logs-table"] tbody tr').count() > 0, "log lines");
  await page.selectOption('[data-testid="log-level"]', "warn");
  await until(async () => {
    const levels = await page.locator('[data-testid="logs-table"] tbody .level').allTextContents();
    return levels.length > 0 && levels.every((l) => ["warn", "error", "fatal"].includes(l));
  }, "only warn and worse");
  await page.selectOption('[data-testid="log-level"]', "");
  await page.fill('[data-testid="log-search"]', "publickey");
  await until(async () => {
    const messages = await page.locator('[data-testid="logs-table"] tbody td.message')
      .allTextContents();
    return messages.length > 0 && messages.every((m) => /publickey/i.test(m));
  }, "only lines matching the search");
  await page.fill('[data-testid="log-search"]', "");
  await page.waitForSelector('[data-testid="log-source"] option[value="sshd"]', {
    state: "attached",
  });
  await page.selectOption('[data-testid="log-source"]', "sshd");
  await until(async () => {
    const sources = await page.locator('[data-testid="logs-table"] tbody td:nth-child(4)')
      .allTextContents();
    return sources.length > 0 && sources.every((source) => source === "sshd");
  }, "only lines from the chosen source");

  // A refused statement is shown as an error in the console, the page goes on.
  assertEquals(errors, [], "no page or console errors");
  await page.fill('[data-testid="sql-input"]', "DROP TABLE readings");
  await page.click('[data-testid="sql-run"]');
  await page.waitForSelector('#sql .panel-errors [role="alert"]');

  assertMatch(
    await page.textContent("#sql .panel-errors") ?? "",
    /read-only|refused|not allowed|DROP/i,
  );
  assertEquals(errors, [
    "console: Failed to load resource: the server responded with a status of 400 (Bad Request)",
  ], "only the refused statement's 400");
  for (const id of ["agents", "ingest", "sensors", "market", "logs"]) {
    assertEquals(await page.textContent(`#${id} .panel-errors`), "", `${id} shows no error`);
  }

  // The agent stops: its heartbeats end and the panel marks it stale.
  const exit = await stack.agent.stop("SIGINT", 15_000);
  assertEquals(exit.code, 0, "agent exit");
  await until(
    async () => (await agentRow.locator('[data-testid="agent-status"]').textContent()) === "stale",
    "the stopped agent marked stale",
  );
});
