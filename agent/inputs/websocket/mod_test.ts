import { parse } from "smol-toml";
import { RetryableError } from "@tributary/shared/errors";
import { nowNs } from "@tributary/shared/records";
import { assert, assertEquals } from "@tributary/shared/testing/asserts";
import { getFreePort } from "../../../tests/harness/free_port.ts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { configureInput, INPUT_FACTORIES } from "../registry.ts";
import { recordingContext } from "../testing/context.ts";
import { defaultWebSocketConfig, type WebSocketConfig } from "./config.ts";
import { createWebSocketInput, websocket } from "./mod.ts";
import { startFeedServer } from "./testdata/feed_server.ts";

const SUBSCRIBE = [
  '{"action":"auth","params":"${TRIBUTARY_TEST_FEED_KEY}"}',
  '{"action":"subscribe","params":"T.*,Q.*"}',
];

function config(url: string, over: Partial<WebSocketConfig> = {}): WebSocketConfig {
  return {
    ...defaultWebSocketConfig(),
    url,
    subscribe: SUBSCRIBE,
    reconnect_initial_ms: 50,
    reconnect_max_ms: 200,
    flush_ms: 5,
    ...over,
  };
}

/** A Polygon-style trade message element with sequence number `q`. */
function trade(q: number, symbol = "AAPL") {
  const t = Number(nowNs() / 1_000_000n);
  return { ev: "T", sym: symbol, x: 4, i: `id${q}`, p: 189.5 + q / 100, s: 100, c: [12, 37], t, q };
}

function quote(q: number, symbol = "AAPL") {
  const t = Number(nowNs() / 1_000_000n);
  return { ev: "Q", sym: symbol, bx: 11, bp: 189.49, bs: 2, ax: 12, ap: 189.51, as: 3, t, q };
}

Deno.test("websocket is registered as an input type and sample.toml configures through the registry", async () => {
  assertEquals(INPUT_FACTORIES.websocket, websocket as unknown);
  const sample = parse(await Deno.readTextFile(new URL("./sample.toml", import.meta.url)));
  const configured = configureInput((sample.inputs as unknown[])[0], "inputs[0]", 0);
  assertEquals([configured.type, configured.id], ["websocket", "websocket#0"]);
});

Deno.test("websocket reconnects after a dropped feed, resubscribes and counts the skipped sequence number", async () => {
  Deno.env.set("TRIBUTARY_TEST_FEED_KEY", "secret-key");
  const feed = startFeedServer();
  const ctx = recordingContext();
  const flagged: string[] = [];
  ctx.flagged = (flag) => flagged.push(flag);
  const input = createWebSocketInput(config(feed.url), ctx);
  try {
    await input.start();
    await waitFor(() => feed.ready(2), { message: "first subscribe" });
    // Sequence 1..60 in arrays of 10 with 51 missing, then the feed drops mid-stream.
    for (let from = 1; from <= 60; from += 10) {
      const batch = [];
      for (let q = from; q < from + 10; q++) {
        if (q !== 51) batch.push(q % 4 === 0 ? quote(q) : trade(q));
      }
      feed.send(JSON.stringify(batch));
    }
    await waitFor(() => ctx.rows.trades.length + ctx.rows.quotes.length === 59, {
      message: "59 rows",
    });
    feed.drop();
    await waitFor(() => feed.connections() === 2 && feed.ready(2), { message: "second subscribe" });
    feed.send(JSON.stringify([{ ev: "status", status: "auth_success" }]));
    for (let q = 61; q <= 80; q++) feed.send(JSON.stringify([q % 4 === 0 ? quote(q) : trade(q)]));
    await waitFor(() => ctx.rows.trades.length + ctx.rows.quotes.length === 79, {
      message: "79 rows",
    });

    const stats = input.stats();
    assertEquals([stats.gaps, stats.missing], [1, 1]);
    assertEquals(flagged, ["sequence_gap"], "counted in tributary_agent_input_flagged_total");
    assertEquals(stats.reconnects, 1);
    assertEquals(stats.ignored, 1);
    assertEquals(ctx.rejections.size, 0);
    // Both connections got auth (env expanded) and subscribe, in order.
    assertEquals(feed.received(), [
      ['{"action":"auth","params":"secret-key"}', SUBSCRIBE[1]!],
      ['{"action":"auth","params":"secret-key"}', SUBSCRIBE[1]!],
    ]);
    const ids = ctx.rows.trades.map((t) => t.trade_id);
    assertEquals(new Set(ids).size, ids.length);
    assert(!ids.includes("id51"));
    const first = ctx.rows.trades[0]!;
    assertEquals([first.symbol, first.exchange, first.conditions, first.size], [
      "AAPL",
      4,
      [12, 37],
      100,
    ]);
    assertEquals(first.ts % 1_000_000n, 0n, "ms timestamps become ns");
    assertEquals(ctx.rows.quotes[0]!.ask_exchange, 12);
  } finally {
    await input.stop();
    await feed.close();
    Deno.env.delete("TRIBUTARY_TEST_FEED_KEY");
  }
});

Deno.test("websocket rejects repeated sequence numbers after a reconnect, follows a restart", async () => {
  const feed = startFeedServer();
  const ctx = recordingContext();
  const input = createWebSocketInput(config(feed.url, { subscribe: ["sub"] }), ctx);
  try {
    await input.start();
    await waitFor(() => feed.ready(1));
    const sent = Array.from({ length: 7 }, (_, i) => JSON.stringify(trade(i + 1)));
    for (const message of sent.slice(0, 5)) feed.send(message);
    await waitFor(() => ctx.rows.trades.length === 5);
    feed.drop();
    await waitFor(() => feed.connections() === 2 && feed.ready(1));
    // The feed replays 4 and 5 (the same messages, same times), then goes on.
    for (const message of sent.slice(3)) feed.send(message);
    await waitFor(() => ctx.rows.trades.length === 7);
    assertEquals(ctx.rejections.get("duplicate_sequence"), 2);
    assertEquals([input.stats().gaps, input.stats().sequence_resets], [0, 0]);
    // The numbering starts again at 1 (a new trading day, a restarted feed) with
    // later times (a minute on: inside the clock-skew window): kept, not repeats.
    const later = Number(nowNs() / 1_000_000n) + 60_000;
    for (let q = 1; q <= 3; q++) feed.send(JSON.stringify({ ...trade(100 + q), q, t: later }));
    await waitFor(() => ctx.rows.trades.length === 10, { message: "rows after the reset" });
    assertEquals(ctx.rejections.get("duplicate_sequence"), 2);
    assertEquals(input.stats().sequence_resets, 1);
    assertEquals(ctx.flags.get("sequence_reset"), 1);
  } finally {
    await input.stop();
    await feed.close();
  }
});

Deno.test("websocket keeps retrying while the feed is down and connects once it is up", async () => {
  const port = getFreePort();
  const ctx = recordingContext();
  const input = createWebSocketInput(
    config(`ws://127.0.0.1:${port}/feed`, { subscribe: ["sub"] }),
    ctx,
  );
  let feed: ReturnType<typeof startFeedServer> | undefined;
  try {
    await input.start();
    await waitFor(() => input.stats().reconnects >= 3, { message: "failed attempts" });
    assert(!input.connected());
    feed = startFeedServer(port);
    await waitFor(() => feed!.ready(1), { message: "connected after the outage" });
    feed.send(JSON.stringify(trade(1)));
    await waitFor(() => ctx.rows.trades.length === 1);
    assertEquals(input.stats().connects, 1);
  } finally {
    await input.stop();
    await feed?.close();
  }
});

Deno.test("websocket holds rows while the buffer is full and writes each once, stop drains", async () => {
  const feed = startFeedServer();
  const ctx = recordingContext();
  ctx.failWrites = new RetryableError("budget_full", "buffer full");
  const write = ctx.write;
  let refused = 0;
  ctx.write = (kind, rows, checkpoint) => {
    if (ctx.failWrites) refused++;
    return write(kind, rows, checkpoint);
  };
  const input = createWebSocketInput(config(feed.url, { subscribe: ["sub"], batch_rows: 10 }), ctx);
  try {
    await input.start();
    await waitFor(() => feed.ready(1));
    for (let q = 1; q <= 30; q++) feed.send(JSON.stringify(trade(q)));
    await waitFor(() => input.stats().messages === 30);
    // Refused, then tried again (backoff): the rows are held, not dropped or counted.
    await waitFor(() => refused >= 2, { message: "a refused write retried" });
    assertEquals(ctx.rows.trades.length, 0);
    assertEquals(ctx.rejections.size, 0);
    ctx.failWrites = undefined;
    await waitFor(() => ctx.rows.trades.length === 30, {
      message: "30 rows after the buffer freed",
    });
    for (let q = 31; q <= 33; q++) feed.send(JSON.stringify(trade(q)));
    await waitFor(() => input.stats().messages === 33);
  } finally {
    await input.stop();
    await feed.close();
  }
  // Rows received before stop() are written by stop().
  assertEquals(
    ctx.rows.trades.map((t) => t.trade_id),
    Array.from({ length: 33 }, (_, i) => `id${i + 1}`),
  );
});

Deno.test("websocket reconnects a feed that stays silent past idle_timeout_s", async () => {
  const feed = startFeedServer();
  const ctx = recordingContext();
  const input = createWebSocketInput(
    config(feed.url, { subscribe: ["sub"], idle_timeout_s: 1 }),
    ctx,
  );
  try {
    await input.start();
    await waitFor(() => feed.ready(1));
    // Nothing is sent: after about a second the client gives up on this connection.
    await waitFor(() => feed.connections() === 2 && feed.ready(1), {
      timeoutMs: 5_000,
      message: "a second connection",
    });
    assertEquals(input.stats().reconnects, 1);
  } finally {
    await input.stop();
    await feed.close();
  }
});

Deno.test("websocket stop() while the handshake hangs returns promptly", async () => {
  // A listener that accepts TCP but never answers the HTTP upgrade.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  const input = createWebSocketInput(
    config(`ws://127.0.0.1:${listener.addr.port}/feed`),
    recordingContext(),
  );
  try {
    await input.start();
    await waitFor(() => accepted.length === 1, { message: "TCP connection" });
    const t0 = performance.now();
    await input.stop();
    assert(performance.now() - t0 < 2_000, "stop() did not wait for the handshake");
    assertEquals(input.stats().connects, 0);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of accepted) conn.close();
  }
});

Deno.test("websocket gives up a handshake that hangs past idle_timeout_s and tries again", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  const input = createWebSocketInput(
    config(`ws://127.0.0.1:${listener.addr.port}/feed`, { idle_timeout_s: 1 }),
    recordingContext(),
  );
  try {
    await input.start();
    await waitFor(() => accepted.length >= 2, { timeoutMs: 5_000, message: "a second attempt" });
    assert(input.stats().reconnects >= 1);
  } finally {
    await input.stop();
    listener.close();
    await accepting.catch(() => {});
    for (const conn of accepted) conn.close();
  }
});

Deno.test("websocket stop() before start() and twice is safe", async () => {
  const input = createWebSocketInput(config("ws://127.0.0.1:9/feed"), recordingContext());
  await input.stop();
  await input.stop();
  await input.start();
});
