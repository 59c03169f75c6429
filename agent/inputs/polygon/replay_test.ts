import { RetryableError } from "@tributary/shared/errors";
import { assert, assertEquals, assertMatch } from "@tributary/shared/testing/asserts";
import { waitFor } from "../../../tests/harness/wait_for.ts";
import { recordingContext } from "../testing/context.ts";
import { defaultPolygonConfig, type PolygonConfig } from "./config.ts";
import { barLines, quoteLines, tradeLines, writeGzFile } from "./fixtures.ts";
import { createPolygonInput } from "./mod.ts";
import { CHECKPOINT_NAME, parsePosition } from "./replay.ts";

function config(path: string, over: Partial<PolygonConfig> = {}): PolygonConfig {
  return { ...defaultPolygonConfig(), path, progress: false, batch_rows: 100, ...over };
}

async function replay(
  cfg: PolygonConfig,
  ctx = recordingContext(),
  options: Parameters<typeof createPolygonInput>[2] = {},
) {
  const input = createPolygonInput(cfg, ctx, options);
  await input.start();
  await input.done;
  await input.stop();
  return { ctx, stats: input.stats() };
}

Deno.test("polygon replays trades, quotes, minute and day bars in key order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeGzFile(
      `${dir}/us_stocks_sip/trades_v1/2024/04/2024-04-05.csv.gz`,
      tradeLines({ rows: 250 }),
    );
    await writeGzFile(
      `${dir}/us_stocks_sip/quotes_v1/2024/04/2024-04-05.csv.gz`,
      quoteLines({ rows: 120 }),
    );
    await writeGzFile(
      `${dir}/us_stocks_sip/minute_aggs_v1/2024/04/2024-04-05.csv.gz`,
      barLines({ rows: 10 }),
    );
    await writeGzFile(
      `${dir}/us_stocks_sip/day_aggs_v1/2024/04/2024-04-05.csv.gz`,
      barLines({ rows: 2 }),
    );
    await Deno.writeTextFile(`${dir}/README.txt`, "not a flat file");
    const { ctx, stats } = await replay(config(dir));
    assertEquals(ctx.rows.trades.length, 250);
    assertEquals(new Set(ctx.rows.trades.map((t) => t.trade_id)).size, 250);
    assertEquals(ctx.rows.quotes.length, 120);
    // 12 bars x (open, high, low, close, volume, transactions)
    assertEquals(ctx.rows.readings.length, 72);
    assertEquals(
      ctx.rows.readings.filter((r) => JSON.parse(r.tags).bar === "1d").length,
      12,
    );
    assertEquals(ctx.rejections.size, 0);
    assertEquals(stats.files, 4);
    assertEquals(parsePosition(ctx.checkpoints.get(CHECKPOINT_NAME)), {
      file: "us_stocks_sip/trades_v1/2024/04/2024-04-05.csv.gz",
      line: 251,
      done: true,
    });
    const first = ctx.rows.trades[0]!;
    assertEquals([first.symbol, first.conditions, first.exchange], ["AAPL", [12, 37], 4]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("polygon rejects bad rows with a reason, keeps the good ones and flags outliers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lines = tradeLines({ rows: 6, tickers: ["AAPL"] });
    const good = lines.slice(1);
    const bad = [
      "AAPL,12,0,11", // too few columns
      "AAPL,12,0,11,X1,1,abc,100,1712327400000000000,5,3,0,0", // not a number
      "AAPL,12,0,11,X2,1,-1.5,101,1712327400010000000,5,3,0,0", // negative price
      "AAPL,12,0,99,X3,1,100.00,102,1712327400010000000,5,3,0,0", // unknown exchange
      "AAPL,12,0,11,X4,1,100.00,103,1712327399000000000,5,3,0,0", // back in time
      "AAPL,12,0,11,X5,1,100.00,104,4102444800000000000,5,3,0,0", // 2100: clock skew
      "AAPL,12,0,11,X6,1,100.00,105,1712327400010000000," + "9".repeat(70_000), // huge
    ];
    const keptOutlier = "AAPL,12,0,11,K1,1,250.00,200,1712327400020000000,5,3,0,0";
    const body = new TextEncoder().encode(
      [lines[0], ...good.slice(0, 3), ...bad, ...good.slice(3), keptOutlier].join("\n") + "\n",
    );
    const invalid = new Uint8Array([...body, 0x41, 0xff, 0xfe, 0x2c, 0x0a]);
    await writeGzFile(`${dir}/t.csv.gz`, invalid);
    const flagged = new Map<string, number>();
    const context = recordingContext();
    context.flagged = (flag, n = 1) => flagged.set(flag, (flagged.get(flag) ?? 0) + n);
    const { ctx, stats } = await replay(config(dir), context);
    assertEquals(ctx.rows.trades.map((t) => t.trade_id), [
      ...good.map((l) => /,(T\d+),/.exec(l)![1]),
      "K1",
    ]);
    assertEquals(Object.fromEntries(ctx.rejections), {
      bad_line: 2,
      non_positive: 1,
      unknown_exchange: 1,
      out_of_order: 1,
      clock_skew: 1,
      too_large: 1,
      bad_encoding: 1,
    });
    assertEquals(stats.flagged.outlier, 1);
    // Kept-but-flagged rows are counted for /metrics too.
    assertEquals(flagged.get("outlier"), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("polygon resumes mid-file from its checkpoint and writes only the rest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeGzFile(`${dir}/a/trades.csv.gz`, tradeLines({ rows: 300 }));
    await writeGzFile(
      `${dir}/b/trades.csv.gz`,
      tradeLines({ rows: 50, startNs: 1_712_500_000_000_000_000n }),
    );
    const ctx = recordingContext({
      checkpoints: {
        [CHECKPOINT_NAME]: JSON.stringify({ file: "a/trades.csv.gz", line: 201, done: false }),
      },
    });
    await replay(config(dir), ctx);
    // Lines 202..301 of file a (trades 200..299) and all of file b.
    assertEquals(ctx.rows.trades.length, 150);
    assertEquals(ctx.rows.trades[0]!.trade_id, "T200");
    // A finished file is not read again.
    const again = recordingContext({ checkpoints: Object.fromEntries(ctx.checkpoints) });
    await replay(config(dir), again);
    assertEquals(again.rows.trades.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("polygon keeps the rows before a corrupt gzip tail and goes on with the next file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeGzFile(`${dir}/1.csv.gz`, tradeLines({ rows: 2000 }));
    const whole = await Deno.readFile(`${dir}/1.csv.gz`);
    await Deno.writeFile(`${dir}/1.csv.gz`, whole.subarray(0, Math.floor(whole.length * 0.6)));
    await writeGzFile(
      `${dir}/2.csv.gz`,
      tradeLines({ rows: 10, startNs: 1_712_500_000_000_000_000n }),
    );
    await Deno.writeFile(`${dir}/3.csv.gz`, new TextEncoder().encode("not gzip at all\n"));
    await writeGzFile(`${dir}/4.csv.gz`, ["time,value", "1,2"]);
    await writeGzFile(`${dir}/5.csv.gz`, barLines({ rows: 4 }));
    const { ctx } = await replay(config(dir, { datasets: ["trades"] }));
    const fromFirst = ctx.rows.trades.filter((t) =>
      Number(t.trade_id.slice(1)) < 2000 && t.ts < 1_712_500_000_000_000_000n
    );
    assert(
      fromFirst.length > 0 && fromFirst.length < 2000,
      `${fromFirst.length} rows of the cut file`,
    );
    assertEquals(ctx.rows.trades.length - fromFirst.length, 10);
    assertEquals(ctx.rows.readings.length, 0, "minute bars are not configured");
    assertEquals(ctx.rejections.get("bad_file"), 2);
    assertEquals(ctx.rejections.get("unknown_layout"), 1);
    assertEquals(parsePosition(ctx.checkpoints.get(CHECKPOINT_NAME))?.file, "5.csv.gz");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("polygon waits out a full buffer and writes every row once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeGzFile(`${dir}/t.csv.gz`, tradeLines({ rows: 500 }));
    const ctx = recordingContext();
    let refusals = 0;
    const write = ctx.write.bind(ctx);
    ctx.write = (kind, rows, checkpoint) => {
      // The 2nd and 3rd writes find the buffer full (policy block timed out).
      if (++refusals === 2 || refusals === 3) {
        return Promise.reject(new RetryableError("budget_full", "buffer full"));
      }
      return write(kind, rows, checkpoint);
    };
    await replay(config(dir), ctx);
    assertEquals(ctx.rows.trades.length, 500);
    assertEquals(new Set(ctx.rows.trades.map((t) => t.trade_id)).size, 500);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("polygon stops mid-file promptly and resumes where its last commit ended", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeGzFile(`${dir}/t.csv.gz`, tradeLines({ rows: 3000 }));
    const ctx = recordingContext();
    const input = createPolygonInput(config(dir, { rate: 2000 }), ctx);
    await input.start();
    await waitFor(() => ctx.rows.trades.length >= 300, { message: "300 rows replayed" });
    await input.stop();
    const firstRun = ctx.rows.trades.length;
    assert(firstRun < 3000, "stopped before the end");
    const { ctx: after } = await replay(
      config(dir),
      recordingContext({ checkpoints: Object.fromEntries(ctx.checkpoints) }),
    );
    const ids = [...ctx.rows.trades, ...after.rows.trades].map((t) => t.trade_id);
    assertEquals(ids.length, 3000);
    assertEquals(new Set(ids).size, 3000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("polygon draws a progress bar with rows/s when asked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeGzFile(`${dir}/t.csv.gz`, tradeLines({ rows: 50 }));
    let text = "";
    await replay(config(dir, { progress: true }), recordingContext(), {
      progressWrite: (t) => text += t,
    });
    assertMatch(text, /1\/1 t\.csv\.gz \[#+-*\] +\d+% 50 rows [\d,]+ rows\/s/);
    assert(text.endsWith("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
