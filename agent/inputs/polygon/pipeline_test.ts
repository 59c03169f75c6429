/**
 * The market-data inputs inside a real agent process, end to end: a real
 * Mosquitto, the hub and an agent running a `polygon` input (generated flat
 * files with a few bad rows) and a `websocket` input (a local feed in this
 * process that skips one sequence number). Every good row reaches the hub's
 * tables; the agent's /metrics counts rows, rejections and flags per input.
 */
import { join } from "node:path";
import { assertEquals } from "@tributary/shared/testing/asserts";
import { startMosquitto } from "../../../tests/harness/mosquitto.ts";
import { startProduct, writeHubConfig } from "../../../tests/harness/product.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { metricValue, tableCounts } from "../../../tests/harness/hub_client.ts";
import { startFeedServer } from "../websocket/testdata/feed_server.ts";
import { barLines, quoteLines, tradeLines, writeGzFile } from "./fixtures.ts";

Deno.test("polygon and websocket inputs in a real agent deliver every good row to the hub", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tributary-market-" });
  const feed = startFeedServer();
  try {
    const files = join(dir, "flatfiles");
    const trades = tradeLines({ rows: 400 });
    trades.splice(100, 0, "AAPL,12,0,99,BAD1,1,100.00,1,1712327400000000000,5,3,0,0"); // unknown exchange
    trades.splice(200, 0, "AAPL,12,0"); // malformed
    trades.push("MSFT,12,0,11,OUT1,1,900.00,9999,1712327400300000000,5,3,0,0"); // outlier, kept
    await writeGzFile(join(files, "us_stocks_sip/trades_v1/2024/04/2024-04-05.csv.gz"), trades);
    await writeGzFile(
      join(files, "us_stocks_sip/quotes_v1/2024/04/2024-04-05.csv.gz"),
      quoteLines({ rows: 150 }),
    );
    await writeGzFile(
      join(files, "us_stocks_sip/minute_aggs_v1/2024/04/2024-04-05.csv.gz"),
      barLines({ rows: 10 }),
    );

    await using broker = await startMosquitto();
    await using hub = await startProduct(
      dir,
      "hub",
      "hub/main.ts",
      await writeHubConfig(dir, broker.url),
    );
    const hubUrl = String(hub.ready.http);

    const agentConfig = join(dir, "agent.toml");
    await Deno.writeTextFile(
      agentConfig,
      `[agent]\nid = "market-1"\ndata_dir = ${JSON.stringify(join(dir, "agent"))}\n` +
        `[http]\nlisten = "127.0.0.1:0"\n[transport.mqtt]\nurl = ${JSON.stringify(broker.url)}\n` +
        `[[inputs]]\ntype = "polygon"\nid = "flatfiles"\npath = ${
          JSON.stringify(files)
        }\nprogress = false\n` +
        `[[inputs]]\ntype = "websocket"\nid = "feed"\nurl = ${JSON.stringify(feed.url)}\n` +
        `subscribe = ['{"action":"subscribe","params":"T.*"}']\n`,
    );
    await using agent = await startProduct(dir, "agent", "agent/main.ts", agentConfig);
    const agentUrl = String(agent.ready.http);

    // The feed: sequence 1..20 without 7.
    await waitFor(() => feed.ready(1), {
      timeoutMs: 15_000,
      message: "agent subscribed to the feed",
    });
    const now = Date.now();
    const messages = [];
    for (let q = 1; q <= 20; q++) {
      if (q !== 7) {
        messages.push({
          ev: "T",
          sym: "SPY",
          x: 12,
          i: `ws${q}`,
          p: 500 + q / 100,
          s: 10,
          t: now,
          q,
        });
      }
    }
    feed.send(JSON.stringify(messages));

    const expected = { trades: 400 + 1 + 19, quotes: 150, readings: 10 * 6, logs: 0 };
    await waitFor(async () => {
      const counts = await tableCounts(hubUrl);
      return counts.trades === expected.trades && counts.quotes === expected.quotes &&
        counts.readings === expected.readings;
    }, { timeoutMs: 60_000, intervalMs: 250, message: "every good row at the hub" });
    assertEquals(await tableCounts(hubUrl), expected);

    const page = await (await fetch(`${agentUrl}/metrics`, { signal: AbortSignal.timeout(10_000) }))
      .text();
    const sample = (name: string, labels: string) => metricValue(page, `${name}{${labels}}`);
    assertEquals(
      sample("tributary_agent_input_rows_total", 'input="flatfiles",type="polygon"'),
      400 + 1 + 150 + 60,
    );
    assertEquals(sample("tributary_agent_input_rows_total", 'input="feed",type="websocket"'), 19);
    assertEquals(
      sample(
        "tributary_agent_input_rejected_total",
        'input="flatfiles",type="polygon",reason="unknown_exchange"',
      ),
      1,
    );
    assertEquals(
      sample(
        "tributary_agent_input_rejected_total",
        'input="flatfiles",type="polygon",reason="bad_line"',
      ),
      1,
    );
    assertEquals(
      sample(
        "tributary_agent_input_flagged_total",
        'input="flatfiles",type="polygon",flag="outlier"',
      ),
      1,
    );
    assertEquals(
      sample(
        "tributary_agent_input_flagged_total",
        'input="feed",type="websocket",flag="sequence_gap"',
      ),
      1,
    );
  } finally {
    await feed.close();
    await Deno.remove(dir, { recursive: true });
  }
});
