/**
 * The shared bad-input suite against the `websocket` input: each record is
 * one frame from a local feed server (text frames; binary frames for bytes
 * that are not valid UTF-8, which a text frame cannot carry).
 */
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { type BadInputAdapter, runBadInputSuite, utf8 } from "../testing/bad_input_suite.ts";
import { recordingContext } from "../testing/context.ts";
import { defaultWebSocketConfig } from "./config.ts";
import { createWebSocketInput } from "./mod.ts";
import { startFeedServer } from "./testdata/feed_server.ts";

const MAX_MESSAGE = 4096;
const decoder = new TextDecoder("utf-8", { fatal: true });

Deno.test("websocket passes the bad-input suite", async (t) => {
  const feed = startFeedServer();
  const ctx = recordingContext();
  const input = createWebSocketInput({
    ...defaultWebSocketConfig(),
    url: feed.url,
    subscribe: ['{"action":"subscribe","params":"T.*"}'],
    max_message_bytes: MAX_MESSAGE,
    flush_ms: 5,
  }, ctx);
  await input.start();
  const adapter: BadInputAdapter = {
    // A Polygon trade message; ts in ms. Each marker its own symbol, no sequence number.
    goodRecord: (marker, ts) =>
      utf8(
        JSON.stringify({
          ev: "T",
          sym: `M${marker}`,
          x: 4,
          i: String(marker),
          p: 10.5,
          s: 100,
          t: Number(ts / 1_000_000n),
        }),
      ),
    async deliver(records) {
      await waitFor(() => feed.ready(1), { message: "client subscribed" });
      for (const record of records) {
        let text: string | undefined;
        try {
          text = decoder.decode(record);
        } catch {
          text = undefined;
        }
        feed.send(text ?? record);
      }
    },
    writtenMarkers: () => ctx.rows.trades.map((row) => Number(row.trade_id)),
    rejections: () => ctx.rejections,
    malformedRecords: [
      utf8('{"ev":"T","sym":"A"'),
      utf8('{"ev":"T","sym":"A","p":"ten","s":100,"t":1}'),
      utf8("[1, 2]"),
      utf8("hello"),
    ],
    maxRecordBytes: MAX_MESSAGE,
    skew: { maxFutureS: 300, maxPastS: 604_800 },
    reasons: { "huge record": "too_large" },
  };
  try {
    await runBadInputSuite(t, adapter);
  } finally {
    await input.stop();
    await feed.close();
  }
});
