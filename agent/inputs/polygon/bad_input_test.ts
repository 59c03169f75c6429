/**
 * The shared bad-input suite against the `polygon` input: each delivery is a
 * new flat file (header + the records as lines, gzipped) dropped into the
 * replayed folder, which the input picks up by polling.
 */
import {
  type BadInputAdapter,
  joinLines,
  runBadInputSuite,
  utf8,
} from "../testing/bad_input_suite.ts";
import { recordingContext } from "../testing/context.ts";
import { defaultPolygonConfig } from "./config.ts";
import { gzip } from "./fixtures.ts";
import { LAYOUTS } from "./layouts.ts";
import { createPolygonInput } from "./mod.ts";

const MAX_LINE = 4096;
const MAX_PAST_S = 7 * 86_400;

Deno.test("polygon passes the bad-input suite", async (t) => {
  const dir = await Deno.makeTempDir();
  const ctx = recordingContext();
  const input = createPolygonInput({
    ...defaultPolygonConfig(),
    path: dir,
    progress: false,
    poll_s: 0.02,
    max_line_bytes: MAX_LINE,
    max_past_s: MAX_PAST_S,
  }, ctx);
  await input.start();
  let files = 0;
  const header = utf8(LAYOUTS.trades.join(",") + "\n");
  // Each good record has its own ticker, so no record is out of order against another.
  const adapter: BadInputAdapter = {
    goodRecord: (marker, ts) =>
      utf8(`M${marker},"12,37",0,12,${marker},${ts},101.25,1,${ts},100,3,0,0`),
    async deliver(records) {
      const body = joinLines(records, header);
      // Written under a name the input ignores, then renamed in: never half a file.
      const name = `${dir}/trades-${String(++files).padStart(6, "0")}.csv.gz`;
      await Deno.writeFile(`${name}.part`, await gzip(body));
      await Deno.rename(`${name}.part`, name);
    },
    writtenMarkers: () => ctx.rows.trades.map((row) => Number(row.trade_id)),
    rejections: () => ctx.rejections,
    malformedRecords: [
      utf8("AAPL,12,0"),
      utf8("AAPL,12,0,12,1,1,not-a-price,1,1712327400000000000,100,3,0,0"),
      utf8('AAPL,"12,0,12,1,1,100,1,1712327400000000000,100,3,0,0'),
    ],
    maxRecordBytes: MAX_LINE,
    skew: { maxFutureS: 300, maxPastS: MAX_PAST_S },
    reasons: {
      "malformed records": "bad_line",
      "huge record": "too_large",
      "invalid UTF-8": "bad_encoding",
      "UTF-16 text": "bad_encoding",
    },
  };
  try {
    await runBadInputSuite(t, adapter);
  } finally {
    await input.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
